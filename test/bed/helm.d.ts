export declare const HELM_VERSION = 'v3.22.0';
/** Builds helm from its Go module once per version; returns the binary's path. */
export declare function installHelm(): Promise<string>;
/** Runs helm with a private home so it never reads or writes the user's helm settings. */
export declare function helm(args: string[]): Promise<string>;
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
  };
  [field: string]: unknown;
}
/** `helm template` of a chart with the given values; returns the rendered objects. */
export declare function helmTemplate(
  chartDir: string,
  values?: Record<string, unknown>,
  releaseName?: string,
): Promise<KubernetesObject[]>;
