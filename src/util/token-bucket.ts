// A token bucket: `ratePerSecond` tokens are added continuously up to `burst`; each call takes one. Used to keep the
// operator under the Clever API's and the kube-apiserver's request rates whatever the number of resources.
export interface TokenBucketOptions {
  ratePerSecond: number;
  burst: number;
  now?: () => number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new Error(`invalid token bucket: ratePerSecond must be > 0 and burst >= 1`);
    }
    this.rate = options.ratePerSecond;
    this.burst = options.burst;
    this.now = options.now ?? Date.now;
    this.tokens = options.burst;
    this.last = this.now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  /**
   * Reserves one token and returns how long the caller must wait before using it (0 when one was available).
   * Reservations may drive the balance negative, which queues callers fairly in arrival order.
   */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }

  /** How long until one whole token is available (0 when one is). Takes nothing. */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /**
   * Takes one token now, after `msUntilToken()` said one is there or the caller waited that long: the balance may go
   * negative when the caller's clock does not advance (a fake one), which lengthens the next wait as `reserve` does.
   */
  consume(): void {
    this.refill();
    this.tokens -= 1;
  }

  /** Waits until a token is available, then takes it. */
  async take(sleep: (ms: number) => Promise<unknown> = defaultSleep): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await sleep(wait);
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
