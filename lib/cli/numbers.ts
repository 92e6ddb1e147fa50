/** Strict parsing of numeric option values: the whole text must be a number. */
import { UsageError } from "../errors.ts";

/** Parses a positive decimal integer; `what` names the option in the error. */
export function parsePositiveInt(text: string, what: string): number {
  if (!/^[0-9]+$/.test(text.trim())) {
    throw new UsageError(`${what} expects a positive integer, got '${text}'`);
  }
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new UsageError(`${what} expects a positive integer, got '${text}'`);
  }
  return value;
}

/** Parses seconds: `5`, `2.5`, `500ms`, `3s`, `1m`. */
export function parseDuration(text: string, what: string): number {
  const match = text.trim().match(/^([0-9]+(?:\.[0-9]+)?)(ms|s|m)?$/);
  if (!match) {
    throw new UsageError(`${what} expects seconds (e.g. 5, 2.5, 500ms, 1m), got '${text}'`);
  }
  const scale = match[2] === "ms" ? 0.001 : match[2] === "m" ? 60 : 1;
  const seconds = Number(match[1]) * scale;
  if (seconds <= 0) throw new UsageError(`${what} must be greater than zero, got '${text}'`);
  return seconds;
}
