import type { Answered } from './api.js';
import type { SessionEnds } from './session.js';

/** The modal warning comes this long before the session ends for inactivity (less with a short idle limit). */
const IDLE_WARNING_MS = 2 * 60_000;
/** The notice comes this long before the session's latest end. */
const END_NOTICE_MS = 5 * 60_000;
/**
 * The server records a session's last request to the minute (to half the idle limit when that is shorter): a request
 * made at t may count from t − 1 minute.
 */
const RECORDED_TO_MS = 60_000;
/** The watch looks again at least this often: timers stand still while a computer sleeps, and wait 24 days at most. */
const LONGEST_WAIT_MS = 60_000;
/** The tabs of this browser share their activity here (they share the session's cookie). */
const CHANNEL_NAME = 'orchestrator-session';

/** Why the session ended on this side: no request for the idle limit, its lifetime over, or Sign out. */
export type EndReason = 'idle' | 'lifetime' | 'signed-out';
const END_REASONS: readonly EndReason[] = ['idle', 'lifetime', 'signed-out'];

/** How the session stands, for the page (times in this tab's clock, in milliseconds). */
export interface SessionOutlook {
  now: number;
  /** While the warning is due: when the session ends for inactivity, unless a request comes. */
  idleEndsAt: number | null;
  /** While the notice is due: when the session ends whatever is done. */
  endsAt: number | null;
}

/** What one tab tells the others: a request answered (the idle end it moved to), or the session ended. */
type TabMessage = { type: 'active'; idleEndsAt: number } | { type: 'ended'; reason: EndReason };

function tabMessage(data: unknown): TabMessage | null {
  if (typeof data !== 'object' || data === null) return null;
  const { type, idleEndsAt, reason } = data as Record<string, unknown>;
  if (type === 'active' && typeof idleEndsAt === 'number' && Number.isFinite(idleEndsAt))
    return { type, idleEndsAt };
  if (type === 'ended' && END_REASONS.includes(reason as EndReason))
    return { type, reason: reason as EndReason };
  return null;
}

/**
 * Watches when the signed-in session ends, from what the server says (`update`) and the requests this tab and the
 * others of the browser make (`answered`): tells the page when to warn (`onOutlook`), and when the session is over
 * (`onEnd`). Server times are read in this tab's clock, shifted by how far the server's clock is ahead at most, so
 * that a wrong clock here ends the session early rather than late.
 */
export class SessionWatch {
  #running = false;
  #idleMs = 0;
  #idleEndsAt: number | null = null;
  #endsAt: number | null = null;
  #serverAhead = 0;
  #ends: SessionEnds | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #channel: BroadcastChannel | null = null;
  #outlook: (outlook: SessionOutlook) => void = () => {};
  #end: (reason: EndReason, here: boolean) => void = () => {};

  /** What the server last said of the session's limits (for the words of a message). */
  get ends(): SessionEnds | null {
    return this.#ends;
  }

  /** The page's view of the session, at once and at every change; answers the function that stops it. */
  onOutlook(listener: (outlook: SessionOutlook) => void): () => void {
    this.#outlook = listener;
    this.#check();
    return () => {
      if (this.#outlook === listener) this.#outlook = () => {};
    };
  }

  /** Called when the session is over: `here` when this tab saw it end, else another tab told of it. */
  onEnd(handler: (reason: EndReason, here: boolean) => void): void {
    this.#end = handler;
  }

  /** The server said when the session ends (a sign-in, a reload, Stay signed in): watch it. */
  update(ends: SessionEnds): void {
    if (!this.#running) this.#start();
    this.#ends = ends;
    this.#endsAt = this.#local(ends.expiresAt);
    const idleEndsAt = this.#local(ends.idleExpiresAt);
    this.#idleMs = idleEndsAt === null ? 0 : ends.sessionIdleMinutes * 60_000;
    if (idleEndsAt === null) this.#idleEndsAt = null;
    else this.#extend(idleEndsAt, true);
    this.#check();
  }

  /** A call of this tab was answered with success: the server saw the session in use when it was sent. */
  answered({ sentAt, serverTime }: Answered): void {
    // Before `update` too: the session's answer, just before it, says how to read its times.
    if (serverTime !== null) this.#serverAhead = serverTime - sentAt;
    if (this.#running && this.#idleMs > 0) this.#extend(sentAt + this.#idleMs - this.#recordedToMs, true);
  }

  /** Stops watching (timer, listeners, channel); `tell`: says to the other tabs why the session ended. */
  stop(tell?: EndReason): void {
    if (tell) this.#post({ type: 'ended', reason: tell });
    this.#running = false;
    clearTimeout(this.#timer);
    document.removeEventListener('visibilitychange', this.#check);
    this.#channel?.close();
    this.#channel = null;
    this.#idleEndsAt = null;
    this.#endsAt = null;
    this.#idleMs = 0;
    this.#outlook({ now: Date.now(), idleEndsAt: null, endsAt: null });
  }

  #start(): void {
    this.#running = true;
    // A tab coming back to the front looks at once: its timers may have been held back meanwhile.
    document.addEventListener('visibilitychange', this.#check);
    if (typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(CHANNEL_NAME);
      this.#channel.onmessage = (event) => this.#heard(tabMessage(event.data));
    }
  }

  /** A server time in this tab's clock; null stays null. */
  #local(iso: string | null): number | null {
    const at = iso === null ? Number.NaN : Date.parse(iso);
    return Number.isNaN(at) ? null : at - this.#serverAhead;
  }

  /** The session ends for inactivity no sooner than `idleEndsAt`; `tell`: the other tabs learn it too. */
  #extend(idleEndsAt: number, tell: boolean): void {
    if (this.#idleEndsAt !== null && idleEndsAt <= this.#idleEndsAt) return;
    this.#idleEndsAt = idleEndsAt;
    if (tell) this.#post({ type: 'active', idleEndsAt });
    this.#check();
  }

  #heard(message: TabMessage | null): void {
    if (!this.#running || message === null) return;
    if (message.type === 'active') {
      if (this.#idleMs > 0) this.#extend(message.idleEndsAt, false);
      return;
    }
    this.stop();
    this.#end(message.reason, false);
  }

  #post(message: TabMessage): void {
    this.#channel?.postMessage(message);
  }

  /** How long before the idle end the warning comes: 2 minutes, less than what a request buys when that is short. */
  get #warningMs(): number {
    return Math.min(IDLE_WARNING_MS, Math.max(0, this.#idleMs - this.#recordedToMs) / 2);
  }

  /** How much earlier than a request the server may have recorded it (see RECORDED_TO_MS). */
  get #recordedToMs(): number {
    return Math.min(RECORDED_TO_MS, this.#idleMs / 2);
  }

  /** Ends the session when its time has come, else tells the page how it stands and looks again when that changes. */
  #check = (): void => {
    clearTimeout(this.#timer);
    if (!this.#running) return;
    const now = Date.now();
    const endsAt = this.#endsAt;
    // An idle end at or after the latest end is no idle end: the lifetime's notice says it.
    const idleEndsAt =
      this.#idleEndsAt !== null && (endsAt === null || this.#idleEndsAt < endsAt) ? this.#idleEndsAt : null;
    const over: EndReason | null =
      idleEndsAt !== null && now >= idleEndsAt
        ? 'idle'
        : endsAt !== null && now >= endsAt
          ? 'lifetime'
          : null;
    if (over !== null) {
      this.stop(over);
      this.#end(over, true);
      return;
    }
    const warnAt = idleEndsAt === null ? null : idleEndsAt - this.#warningMs;
    const noticeAt = endsAt === null ? null : endsAt - END_NOTICE_MS;
    const warning = idleEndsAt !== null && warnAt !== null && now >= warnAt;
    this.#outlook({
      now,
      idleEndsAt: warning ? idleEndsAt : null,
      endsAt: noticeAt !== null && now >= noticeAt ? endsAt : null,
    });
    // While the warning counts down, the next whole second left; else the next change, a minute away at most.
    const nextSecond = warning ? now + ((idleEndsAt - now) % 1000 || 1000) : null;
    const wait = Math.min(
      LONGEST_WAIT_MS,
      ...[warnAt, idleEndsAt, noticeAt, endsAt, nextSecond]
        .filter((at): at is number => at !== null && at > now)
        .map((at) => at - now),
    );
    this.#timer = setTimeout(this.#check, wait);
  };
}
