/**
 * PID-namespace core: input PID → PidViews → RuntimeEnvironment → KernelCaps → PidPlan.
 *
 * @module
 */

export * from "./resolve.ts";
export * from "./environment.ts";
export * from "./caps.ts";
export * from "./plan.ts";
export * from "./report.ts";
export * from "./plan_for_pid.ts";
export * from "./markers.ts";
export { INITIAL_PID_NS_INO, NsSource, type PidNsId } from "../proc/ns.ts";
