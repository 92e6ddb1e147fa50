/**
 * Parsers of /proc files. Every reader takes the procfs root as a parameter (default "/proc").
 *
 * @module
 */

export * from "./path.ts";
export * from "./errors.ts";
export * from "./status.ts";
export * from "./stat.ts";
export * from "./maps.ts";
export * from "./ns.ts";
export * from "./cgroup.ts";
export * from "./osrelease.ts";
