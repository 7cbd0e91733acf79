/**
 * Count-limited fault injection for REST routes (and the CDN). A rule matches on route name,
 * method, path and/or interaction token; each matching request consumes one use.
 *
 * Delays are applied first (and still let the request through); then the first matching
 * "terminal" fault (429, error status, connection reset) answers instead of the real handler.
 */
import type { HttpMethod, RouteName } from "./types.js";

export interface FaultMatcher {
  route?: RouteName | RouteName[];
  method?: HttpMethod;
  /** Matched against the decoded path after `/api/v10` (e.g. `/webhooks/1/abc/messages/@original`). */
  path?: string | RegExp;
  /** Only requests for this interaction token (callback or webhook routes). */
  token?: string;
}

export interface FaultTimes {
  /** How many matching requests this fault affects (default 1; `Infinity` for always). */
  times?: number;
}

export interface RateLimitFault extends FaultTimes {
  /** Value of `retry-after` (seconds, fractional allowed: discord.js multiplies by 1000). Default 500 ms. */
  retryAfterMs?: number;
  global?: boolean;
  scope?: "user" | "global" | "shared";
}

export interface StatusFault extends FaultTimes {
  status?: number;
  body?: unknown;
}

export type FaultAction =
  | { kind: "rateLimit"; retryAfterMs: number; global: boolean; scope: string }
  | { kind: "status"; status: number; body: unknown }
  | { kind: "delay"; ms: number }
  /** Resets the TCP connection without answering: a network error for the client. */
  | { kind: "reset" };

export interface FaultRule {
  readonly id: number;
  readonly matcher: FaultMatcher;
  readonly action: FaultAction;
  remaining: number;
  hits: number;
}

/** The request attributes a matcher can look at. */
export interface FaultTarget {
  route: RouteName;
  method: string;
  path: string;
  token: string | undefined;
}

export interface FaultDecision {
  delayMs: number;
  /** Terminal action to take instead of handling the request. */
  action: Exclude<FaultAction, { kind: "delay" }> | undefined;
  /** Human-readable label for the call record, e.g. `delay(200)+rateLimit`. */
  label: string | undefined;
}

export class FaultInjector {
  readonly rules: FaultRule[] = [];
  #nextId = 1;

  /** Answer 429 with realistic headers and body; discord.js waits `retry-after` and retries. */
  rateLimit(matcher: FaultMatcher, options: RateLimitFault = {}): FaultRule {
    return this.add(matcher, options.times, {
      kind: "rateLimit",
      retryAfterMs: options.retryAfterMs ?? 500,
      global: options.global ?? false,
      scope: options.scope ?? (options.global ? "global" : "user"),
    });
  }

  /** Answer with a 5xx (default 500). discord.js retries 5xx immediately, up to `rest.retries` (3) times. */
  serverError(matcher: FaultMatcher, options: StatusFault = {}): FaultRule {
    const status = options.status ?? 500;
    return this.status(
      matcher,
      status,
      options.body ?? { message: `${status}: Internal Server Error`, code: 0 },
      {
        times: options.times,
      },
    );
  }

  /** Answer with an arbitrary status and JSON body (e.g. 403 Missing Permissions). */
  status(matcher: FaultMatcher, status: number, body: unknown, options: FaultTimes = {}): FaultRule {
    return this.add(matcher, options.times, { kind: "status", status, body });
  }

  /** Hold the response back for `ms` before handling the request normally. */
  delay(matcher: FaultMatcher, ms: number, options: FaultTimes = {}): FaultRule {
    return this.add(matcher, options.times, { kind: "delay", ms });
  }

  /**
   * Abort the TCP connection with a RST instead of answering. undici reports ECONNRESET, which
   * discord.js retries (up to `rest.retries`) like a 5xx.
   */
  reset(matcher: FaultMatcher, options: FaultTimes = {}): FaultRule {
    return this.add(matcher, options.times, { kind: "reset" });
  }

  clear(): void {
    this.rules.length = 0;
  }

  /** Consumes the rules that apply to this request and says what to do. */
  take(target: FaultTarget): FaultDecision {
    let delayMs = 0;
    let action: FaultDecision["action"];
    const labels: string[] = [];
    for (const rule of this.rules) {
      if (rule.remaining <= 0 || !matches(rule.matcher, target)) continue;
      if (rule.action.kind === "delay") {
        delayMs += rule.action.ms;
        labels.push(`delay(${rule.action.ms})`);
      } else if (action === undefined) {
        action = rule.action;
        labels.push(rule.action.kind === "status" ? `status(${rule.action.status})` : rule.action.kind);
      } else {
        continue;
      }
      rule.remaining--;
      rule.hits++;
    }
    return { delayMs, action, label: labels.length ? labels.join("+") : undefined };
  }

  private add(matcher: FaultMatcher, times: number | undefined, action: FaultAction): FaultRule {
    const rule: FaultRule = { id: this.#nextId++, matcher, action, remaining: times ?? 1, hits: 0 };
    this.rules.push(rule);
    return rule;
  }
}

function matches(m: FaultMatcher, t: FaultTarget): boolean {
  if (m.route !== undefined && !(Array.isArray(m.route) ? m.route.includes(t.route) : m.route === t.route)) {
    return false;
  }
  if (m.method !== undefined && m.method !== t.method) return false;
  if (m.token !== undefined && m.token !== t.token) return false;
  if (m.path !== undefined) {
    if (typeof m.path === "string" ? m.path !== t.path : !m.path.test(t.path)) return false;
  }
  return true;
}

/** Headers and body Discord sends with a 429. */
export function rateLimitResponse(action: Extract<FaultAction, { kind: "rateLimit" }>): {
  headers: Record<string, string>;
  body: { message: string; retry_after: number; global: boolean };
} {
  const seconds = action.retryAfterMs / 1000;
  const headers: Record<string, string> = {
    "retry-after": String(seconds),
    "x-ratelimit-limit": "5",
    "x-ratelimit-remaining": "0",
    "x-ratelimit-reset": String((Date.now() + action.retryAfterMs) / 1000),
    "x-ratelimit-reset-after": String(seconds),
    "x-ratelimit-bucket": "emulated-bucket",
    "x-ratelimit-scope": action.scope,
  };
  if (action.global) headers["x-ratelimit-global"] = "true";
  return {
    headers,
    body: { message: "You are being rate limited.", retry_after: seconds, global: action.global },
  };
}
