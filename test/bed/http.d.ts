import { type IncomingMessage, type ServerResponse } from 'node:http';
export interface LoopbackServer {
  url: string;
  port: number;
  close(): Promise<void>;
}
/** A throwaway HTTP server on a free loopback port, for scrape targets and webhook receivers. */
export declare function serveHttp(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<LoopbackServer>;
/** Reads a request body as text. */
export declare function readBody(req: IncomingMessage): Promise<string>;
