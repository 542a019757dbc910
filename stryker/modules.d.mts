/** The module table of stryker/modules.mjs (plain JavaScript: Stryker's own config imports it). */
export declare const modules: Record<string, { mutate: string; tests: string[]; break: number }>;
