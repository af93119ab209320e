// Field checks for Calico's resources: each takes the value found at a path ("spec.blockSize"),
// returns it normalised, or throws a ResourceError naming the resource, the path and what is
// wrong. An object's fields are checked against the list podnet implements: any other is refused
// by name, never ignored, so an operator never believes a setting took effect when it did not.

import ipaddr from "ipaddr.js";
import { parsePrefix, PrefixError } from "../shared/addresses";

/** A resource podnet refuses; the message names the resource and the field. */
export class ResourceError extends Error {
  readonly code = "RESOURCE";
}

export type Check<T> = (value: unknown, path: string) => T;

/** Fails with the resource's name in front (set by the caller that knows it). */
export function fail(path: string, message: string): never {
  throw new ResourceError(`${path}: ${message}`);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object at `path`, with every key in `known` and no other. */
export function objectWith(value: unknown, path: string, known: readonly string[]): Record<string, unknown> {
  if (!isObject(value)) fail(path, `must be a mapping, not ${JSON.stringify(value)}`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(`${path}.${key}`, `unknown field, or one podnet does not implement (known here: ${known.join(", ")})`);
  }
  return value;
}

export const text: Check<string> = (value, path) => {
  if (typeof value !== "string" || value === "") fail(path, `must be a non-empty string, not ${JSON.stringify(value)}`);
  return value;
};

export const boolean: Check<boolean> = (value, path) => {
  if (typeof value !== "boolean") fail(path, `must be true or false, not ${JSON.stringify(value)}`);
  return value;
};

export function integer(minimum: number, maximum: number): Check<number> {
  return (value, path) => {
    // YAML and JSON both give numbers; Calico's docs also quote AS numbers ("64512").
    const number = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof number !== "number" || !Number.isInteger(number) || number < minimum || number > maximum) {
      fail(path, `must be a whole number from ${minimum} to ${maximum}, not ${JSON.stringify(value)}`);
    }
    return number;
  };
}

export function oneOf<T extends string>(...choices: T[]): Check<T> {
  return (value, path) => {
    if (typeof value !== "string" || !choices.includes(value as T)) fail(path, `must be one of ${choices.join(", ")}, not ${JSON.stringify(value)}`);
    return value as T;
  };
}

export const ipv4Address: Check<string> = (value, path) => {
  if (typeof value !== "string" || !ipaddr.IPv4.isValidFourPartDecimal(value)) fail(path, `not an IPv4 address: ${JSON.stringify(value)}`);
  return value;
};

/** "a.b.c.d/len" with host bits clear (a pool's CIDR). */
export const ipv4Network: Check<string> = (value, path) => {
  if (typeof value === "string" && value.includes(":")) fail(path, `${value} is IPv6: IPv6 pools come with dual-stack, not yet`);
  try {
    parsePrefix(text(value, path));
  } catch (error) {
    if (error instanceof PrefixError) fail(path, error.message);
    throw error;
  }
  return value as string;
};

/** "a.b.c.d/len", host bits allowed (a node's address with its subnet's mask). */
export const ipv4Interface: Check<string> = (value, path) => {
  const match = typeof value === "string" ? /^(.+)\/(\d{1,2})$/.exec(value) : null;
  if (!match || !ipaddr.IPv4.isValidFourPartDecimal(match[1]) || Number(match[2]) > 32) fail(path, `must be an IPv4 address with its prefix length (CIDR form, e.g. 198.18.0.1/24), not ${JSON.stringify(value)}`);
  return value as string;
};

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** A Go-style duration as Calico writes them ("20s", "2m", "1m30s"), kept as written. */
export const duration: Check<string> = (value, path) => {
  if (typeof value !== "string" || value === "" || !DURATION.test(value)) fail(path, `must be a duration such as 20s, 2m or 1m30s, not ${JSON.stringify(value)}`);
  return value;
};

/** Seconds in a duration that `duration` accepted. */
export function durationSeconds(text: string): number {
  const match = DURATION.exec(text)!;
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/** The value at `key` checked by `check`, or `fallback` when absent. */
export function field<T>(object: Record<string, unknown>, key: string, path: string, check: Check<T>, fallback: T): T;
export function field<T>(object: Record<string, unknown>, key: string, path: string, check: Check<T>): T | undefined;
export function field<T>(object: Record<string, unknown>, key: string, path: string, check: Check<T>, fallback?: T): T | undefined {
  const value = object[key];
  return value === undefined || value === null ? fallback : check(value, `${path}.${key}`);
}

/** The value at `key`, which must be there. */
export function required<T>(object: Record<string, unknown>, key: string, path: string, check: Check<T>): T {
  if (object[key] === undefined || object[key] === null) fail(`${path}.${key}`, "is required");
  return check(object[key], `${path}.${key}`);
}
