import { performance } from 'node:perf_hooks';
import type { Db } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import { storableText, type JobOutcome, type TaskDefinition } from '../jobs/job-runner.js';
import type { Job } from '../jobs/jobs.repository.js';
import type { AddressPolicy } from '../net/address-policy.js';
import { safeFetch } from '../net/safe-fetch.js';
import { DELIVERY_HOLD_LIMIT_MS, deliveryRetryDelayMs } from './delivery-schedule.js';
import { composeMessage, type NotificationMessage } from './message.js';
import type { NotificationsRepository } from './notifications.repository.js';
import type { DeliveryPayload } from './outbox.js';
import { classifyAnswer, type TargetAnswer } from './target-answer.js';
import { scrub, TARGET_FORMATS, targetSecrets, type Target } from './target-formats.js';

/** One exchange with a target, as the deliveries list shows it. */
export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** What the answer asks of later deliveries (wait, give the target up), target-answer.ts. */
  answer: TargetAnswer;
}

export interface SendOptions {
  policy: AddressPolicy;
  timeoutMs?: number;
  signal?: AbortSignal;
  now: () => number;
}

/** The answer a target may send back at most; more is cut off (a failure, not a hang). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Sends one message to one target through safe-fetch (its address policy, size and time limits;
 * redirects only where a POST stays a POST, each target checked again). A 2xx is success; any
 * other answer, a refused address or a network error is a failure, with the target's secrets
 * scrubbed from the error (the Gotify token is in its URL, which errors quote).
 */
export async function sendToTarget(
  target: Target,
  message: NotificationMessage,
  options: SendOptions,
): Promise<SendResult> {
  const request = TARGET_FORMATS[target.type].build(
    message,
    target,
    Math.floor(options.now() / 1000),
  );
  const secrets = targetSecrets(target);
  const started = performance.now();
  const took = (): number => Math.round(performance.now() - started);
  try {
    const response = await safeFetch(request.url, {
      method: 'POST',
      body: request.body,
      headers: request.headers,
      policy: options.policy,
      timeoutMs: options.timeoutMs ?? 15_000,
      maxBytes: MAX_ANSWER_BYTES,
      maxRedirects: 3,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const ok = response.status >= 200 && response.status < 300;
    // The receiver's words, as one line of storable text (a NUL would make the attempt
    // unrecordable on PostgreSQL, and with it the job's verdict).
    const answer = Array.from(storableText(response.body.toString('utf8', 0, 200)), (c) =>
      c < ' ' || c === '\u007f' ? ' ' : c,
    )
      .join('')
      .replace(/\s+/g, ' ')
      .trim();
    return {
      ok,
      statusCode: response.status,
      error: ok ? null : scrub(`HTTP ${response.status}${answer ? `: ${answer}` : ''}`, secrets),
      durationMs: took(),
      answer: classifyAnswer(response.status, response.headers['retry-after'], options.now()),
    };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const text = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      statusCode: null,
      error: storableText(scrub(text, secrets)),
      durationMs: took(),
      answer: { kind: 'failed' },
    };
  }
}

/** The webhook-id of a delivery job's message: stable across its attempts. */
export const messageIdOf = (jobId: string): string => `msg_${jobId.replace(/-/g, '')}`;

export interface DeliveryTaskDeps {
  repo: NotificationsRepository;
  events: Pick<EventLog, 'append'>;
  /** Read at each delivery. */
  policy: () => AddressPolicy;
  now: () => number;
  log: { warn(obj: object, msg?: string): void };
  /** Waits between attempts (tests shorten it); default DELIVERY_RETRY_SECONDS. */
  retryDelayMs?: (attempt: number) => number;
  /** Longest a message is held by Retry-After (tests shorten it); default DELIVERY_HOLD_LIMIT_MS. */
  holdLimitMs?: number;
  timeoutMs?: number;
}

/** "48 h", "90 s": the hold limit in a message. */
function formatSpan(ms: number): string {
  return ms >= 3_600_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.round(ms / 1000)} s`;
}

/**
 * The `notify.deliver` task: one grouped message to one target (or the toast). The attempt's
 * record is written in the transaction that settles the job (job-runner.ts), so a 2xx and the
 * job's completion commit together: a delivery that succeeded is never sent again, and one whose
 * lease was lost meanwhile is not recorded (its job is someone else's now).
 */
export function createDeliveryTask(deps: DeliveryTaskDeps): TaskDefinition {
  const { repo, now } = deps;
  return {
    retryDelayMs: deps.retryDelayMs ?? ((attempt) => deliveryRetryDelayMs(attempt)),
    async run(job: Job, signal: AbortSignal): Promise<JobOutcome> {
      const { targetId, event } = job.payload as DeliveryPayload;
      const items = await repo.items(job.id);
      if (items.length === 0) return { kind: 'done' };
      const message = composeMessage(messageIdOf(job.id), event, items, job.createdAt);
      if (targetId === null) {
        return {
          kind: 'done',
          write: async (tx: Db) => {
            await deps.events.append(tx, 'notification', {
              event,
              title: message.title,
              message: message.body,
              count: message.count,
              messageId: message.id,
            });
          },
        };
      }
      const target = await repo.target(targetId);
      // Deleted or switched off since: the message is dropped, not kept for later.
      if (!target || !target.enabled) return { kind: 'done' };
      const at = now();
      const insert = (
        tx: Db,
        outcome: 'delivered' | 'failed' | 'dead',
        answer: { status_code: number | null; error: string | null; duration_ms: number },
      ) =>
        repo.insertDelivery(tx, {
          target_id: target.id,
          message_id: message.id,
          event,
          item_count: message.count,
          attempt: job.attempts,
          outcome,
          at,
          ...answer,
        });
      // The target asked for quiet (Retry-After, on this or another job's attempt): nothing is
      // sent, and the job waits until then without spending an attempt on it.
      if (target.backoffUntil !== null && target.backoffUntil > at) {
        const until = target.backoffUntil;
        const limit = deps.holdLimitMs ?? DELIVERY_HOLD_LIMIT_MS;
        if (at - job.createdAt >= limit) {
          const error = `given up: the target kept asking to wait (Retry-After) for more than ${formatSpan(limit)}`;
          deps.log.warn({ target: target.id, event }, `notification ${error}`);
          return {
            kind: 'retry',
            final: true,
            error,
            write: (tx) => insert(tx, 'dead', { status_code: null, error, duration_ms: 0 }),
          };
        }
        return {
          kind: 'retry',
          error: `waiting for the target's Retry-After until ${new Date(until).toISOString()}`,
          write: (tx) => repo.postponeJob(tx, job.id, until, true),
        };
      }
      const result = await sendToTarget(target, message, {
        policy: deps.policy(),
        now,
        signal,
        ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
      });
      const record = (tx: Db, outcome: 'delivered' | 'failed' | 'dead') =>
        insert(tx, outcome, {
          status_code: result.statusCode,
          error: result.error,
          duration_ms: result.durationMs,
        });
      if (result.ok) return { kind: 'done', write: (tx) => record(tx, 'delivered') };
      const { answer } = result;
      if (answer.kind === 'gone') {
        deps.log.warn(
          { target: target.id, event },
          'notification target answered 410 Gone; disabled',
        );
        return {
          kind: 'done',
          write: async (tx) => {
            await record(tx, 'dead');
            await repo.setTargetState(
              tx,
              target.id,
              { gone: { reason: answer.reason, url: target.url } },
              now(),
            );
          },
        };
      }
      if (answer.kind === 'wait' && job.attempts < job.maxAttempts) {
        return {
          kind: 'retry',
          error: result.error ?? 'failed',
          write: async (tx, dead) => {
            await record(tx, dead ? 'dead' : 'failed');
            await repo.postponeJob(tx, job.id, answer.untilMs, false);
            // Every job for this target waits too (target-answer.ts), until the latest hold ends.
            await repo.setTargetState(tx, target.id, { backoffUntil: answer.untilMs }, now());
          },
        };
      }
      if (job.attempts >= job.maxAttempts)
        deps.log.warn(
          { target: target.id, event, attempts: job.attempts, error: result.error },
          'notification not delivered after the last attempt; giving up',
        );
      return {
        kind: 'retry',
        error: result.error ?? 'failed',
        write: (tx, dead) => record(tx, dead ? 'dead' : 'failed'),
      };
    },
  };
}

/**
 * The `queue.idle-check` task: armed by the outbox when a download ends (one waiting check at a
 * time, by its key), it appends `queue.idle` when no download is unfinished any more. Judged on
 * committed rows, after the group window, so a burst of endings is one look.
 */
export function createIdleCheckTask(deps: {
  repo: Pick<NotificationsRepository, 'hasUnfinishedDownload'>;
  events: Pick<EventLog, 'append'>;
  now: () => number;
}): TaskDefinition {
  return {
    retryDelayMs: () => 5_000,
    async run(): Promise<JobOutcome> {
      if (await deps.repo.hasUnfinishedDownload()) return { kind: 'done' };
      return {
        kind: 'done',
        write: async (tx) => {
          await deps.events.append(tx, 'queue.idle', { at: new Date(deps.now()).toISOString() });
        },
      };
    },
  };
}
