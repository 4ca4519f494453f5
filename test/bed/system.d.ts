/** Full path of a command on PATH, or undefined. */
export declare function which(command: string): string | undefined;
/** Throws a message naming the missing tool and how to get it. */
export declare function requireCommand(command: string, howToGet: string): string;
/** A Debian package and the file that proves it is installed. */
export interface DebianPackage {
  name: string;
  provides: string;
}
/**
 * Installs the Debian packages whose files are missing, refreshing the package lists once if the
 * first attempt cannot find them. Present packages cost nothing, so this is the cache check too.
 */
export declare function installDebianPackages(
  component: string,
  packages: DebianPackage[],
): Promise<void>;
/** The major version of the `java` on PATH, or a clear error when there is none. */
export declare function javaMajorVersion(): Promise<number>;
