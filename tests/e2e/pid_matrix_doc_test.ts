/**
 * tests/e2e/pidns/MATRIX.md is generated from the cell table the matrix tests run; this fails when
 * someone changed a cell without regenerating it (`deno run -A tests/e2e/pidns/matrix_md.ts
 * --write`). Needs no root.
 */
import { assertEquals } from "../assert.ts";
import { e2eTest } from "./harness.ts";
import { formattedMatrix, MATRIX_PATH } from "./pidns/matrix_md.ts";

e2eTest("pid matrix: MATRIX.md matches the cell table", async () => {
  assertEquals(
    Deno.readTextFileSync(MATRIX_PATH),
    await formattedMatrix(),
    "MATRIX.md is stale: run deno run -A tests/e2e/pidns/matrix_md.ts --write",
  );
}, { root: false });
