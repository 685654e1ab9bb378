// Requests with typed replies: a request carries a `requestId`, its reply carries it back.
// Free of zod, so the pages can pair their requests without bundling the checks.

/** A message of a request: its id pairs it with the reply. */
export interface Request {
  requestId: number;
}

/** Pairs requests with their replies by requestId; the reply's promise settles when it comes. */
export class RequestTracker<Reply extends Request> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();
  private ended: Error | null = null;

  /** Posts a request (given its id) and resolves to its reply. */
  send<R extends Reply = Reply>(post: (requestId: number) => void): Promise<R> {
    if (this.ended) return Promise.reject(this.ended);
    const requestId = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(requestId, { resolve: resolve as (reply: Reply) => void, reject });
      post(requestId);
    });
  }

  /** Settles the request a reply answers; false when none waits for it. */
  settle(reply: Reply, failure?: string): boolean {
    const waiter = this.pending.get(reply.requestId);
    if (!waiter) return false;
    this.pending.delete(reply.requestId);
    if (failure !== undefined) waiter.reject(new Error(failure));
    else waiter.resolve(reply);
    return true;
  }

  /** Rejects every waiting request, and every later one, with this error (the other side is gone). */
  end(error: Error): void {
    this.ended = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
