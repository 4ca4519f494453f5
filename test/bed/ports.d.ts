/** A loopback port that is free right now: the kernel picks it, so parallel runs never collide. */
export declare function freePort(): Promise<number>;
