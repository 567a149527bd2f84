// A counting semaphore: caps the number of requests in flight to the Clever API across every caller of one
// client, so a burst of reconciles cannot open hundreds of sockets at once. Waiters are served in FIFO order.
export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError('semaphore permits must be an integer >= 1');
    this.available = permits;
  }

  /** Resolves with a release function once a permit is held; call it exactly once. */
  async acquire(): Promise<() => void> {
    if (this.available > 0) {
      this.available -= 1;
    } else {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      // Hand the permit straight to the next waiter, so a newcomer cannot overtake it.
      if (next) next();
      else this.available += 1;
    };
  }
}
