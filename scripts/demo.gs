// The script `make demo` runs against tests/fixtures/build/demo.
trace handle_request {
  print "request #{} of {} bytes (pid {}, tid {})", id, len, $pid, $tid;
}

trace demo.c:39 {
  if req.len > 1024 {
    print "  -> 413 too large: {}", req;
  } else {
    print "  -> 200 path={} served={} stats={}", req.path, requests_served, stats;
  }
}
