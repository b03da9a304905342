/** Reads `config.yaml` and turns schema errors into messages that name the key and the fix. */
import { readFileSync } from 'node:fs';
import { parse, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `a.b.0.c: message` for each zod issue. */
export function describeIssues(issues: z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((issue) => {
    const key = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      return `${key}: unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}: check the spelling against config.sample.yaml`;
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return `${key}: is required (see config.sample.yaml)`;
    }
    return `${key}: ${issue.message}`;
  });
}

export function parseConfig(text: string, file = 'config.yaml'): Config {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    const where =
      err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line})` : '';
    throw new ConfigError(file, [
      `not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`,
    ]);
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(file, describeIssues(result.error.issues));
  return result.data;
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(file, [
      `cannot be read (${code}): run \`switchboard init\` to write one`,
    ]);
  }
  return parseConfig(text, file);
}
