/**
 * `go install module@version` into `binDir`, cached: a present binary is reused. It installs into
 * a scratch dir and renames, so an interrupted build never leaves a half-written binary behind.
 */
export declare function goInstall(
  component: string,
  moduleAtVersion: string,
  binDir: string,
  binary: string,
): Promise<string>;
