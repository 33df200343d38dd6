// Typed reads of a JSON config object with one-line errors naming the file, the key and the fix.
// "Absent" and "null" are told apart because transformers' defaults treat them differently.

export class ConfigReader {
  constructor(
    readonly json: Record<string, unknown>,
    readonly path: string,
  ) {}

  static parse(text: string, path: string): ConfigReader {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new Error(`${path}: expected a JSON object at the top level`);
    }
    return new ConfigReader(json as Record<string, unknown>, path);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.json, key) && this.json[key] !== undefined;
  }

  fail(key: string, want: string): never {
    throw new Error(
      `${this.path}: "${key}" must be ${want}, got ${JSON.stringify(this.json[key])?.slice(0, 80)}`,
    );
  }

  requiredInt(key: string): number {
    if (!this.has(key) || this.json[key] === null) {
      throw new Error(
        `${this.path}: missing required key "${key}" (a positive integer); is this a transformers model's config.json?`,
      );
    }
    const v = this.int(key, 0);
    if (v === 0) this.fail(key, 'a positive integer');
    return v;
  }

  /** absent or null → fallback */
  int(key: string, fallback: number): number {
    return this.intOrNull(key, fallback) ?? fallback;
  }

  /** absent → fallback; null stays null */
  intOrNull(key: string, fallback: number | null): number | null {
    if (!this.has(key)) return fallback;
    const v = this.json[key];
    if (v === null) return null;
    if (!Number.isSafeInteger(v) || (v as number) < 0) this.fail(key, 'a non-negative integer');
    return v as number;
  }

  number(key: string, fallback: number): number {
    return this.numberOrNull(key, fallback) ?? fallback;
  }

  numberOrNull(key: string, fallback: number | null): number | null {
    if (!this.has(key)) return fallback;
    const v = this.json[key];
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a number');
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    if (!this.has(key) || this.json[key] === null) return fallback;
    const v = this.json[key];
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  string(key: string, fallback: string): string {
    if (!this.has(key) || this.json[key] === null) return fallback;
    const v = this.json[key];
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  /** an object value, or null when absent/null */
  object(key: string): Record<string, unknown> | null {
    if (!this.has(key) || this.json[key] === null) return null;
    const v = this.json[key];
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(key, 'an object');
    return v as Record<string, unknown>;
  }

  /** token ids given as an integer or a list of integers; absent → undefined, null → [] */
  tokenIds(key: string): number[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.json[key];
    if (v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      this.fail(key, 'a token id or a list of token ids');
    }
    return list as number[];
  }
}
