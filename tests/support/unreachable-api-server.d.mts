/** Types of unreachable-api-server.mjs (see there). */
export declare function closedPort(): Promise<number>;
export declare function writeKubeconfig(file: string, server: string): void;
