/**
 * The prober's command-line flags, declared once for both entry points: the image's
 * `node dist/prober/main.js` (parsed here) and `hello-cli prober` (commander, built from the same
 * table). Every flag takes the exporter's name and, with a value, both `--flag value` and
 * `--flag=value`; the aliases are shorter spellings of the same flag.
 */
import { parseArgs } from 'node:util';
import { ConfigError, describeError, duration, quoteValue } from '../common/index.js';
import { PROBER_DEFAULT_CONFIG_FILE, PROBER_ENV, PROBER_FLAGS } from './contract.js';

/** Settings of the prober process that flags set (environment and defaults fill the rest). */
export interface ProberFlagValues {
  /** `--config.file`. Default `$PROBER_CONFIG_FILE` or `/etc/hello-prober/prober.yml`. */
  readonly configFile?: string | undefined;
  /** `--web.listen-address`. Default `$PROBER_LISTEN_ADDRESS` or `:9115`. */
  readonly listenAddress?: string | undefined;
  /** `--config.check`: validate the file and stop. */
  readonly check?: boolean | undefined;
  /** `--timeout-offset` in seconds. Default 0.5. */
  readonly timeoutOffsetSeconds?: number | undefined;
  /** `--log.level`. Default `$PROBER_LOG_LEVEL` or `info`. */
  readonly logLevel?: string | undefined;
  /** `--config.enable-auto-reload`: reload when the file's content changes. Default false. */
  readonly autoReload?: boolean | undefined;
  /** `--config.auto-reload-interval` in ms. Default 30000. */
  readonly autoReloadIntervalMs?: number | undefined;
}

/** One flag: its exporter name, aliases, and where its (parsed) value goes. */
export interface ProberFlag {
  /** The exporter's spelling, e.g. `--config.file`. */
  readonly flag: string;
  /** Other spellings: at most one short (`-c`), and long ones (`--config`). */
  readonly aliases: readonly string[];
  /** Placeholder of the value, e.g. `<file>`; absent for a switch. */
  readonly value?: string;
  readonly description: string;
  readonly key: keyof ProberFlagValues;
  /** Turns the text into the value; absent: the text (or true for a switch) as is. */
  readonly parse?: (text: string) => unknown;
}

/** Every flag of the prober, in the order `--help` lists them. */
export const PROBER_FLAG_TABLE: readonly ProberFlag[] = [
  {
    flag: PROBER_FLAGS.configFile,
    aliases: ['-c', '--config'],
    value: '<file>',
    description: `config file (env ${PROBER_ENV.configFile}, default ${PROBER_DEFAULT_CONFIG_FILE})`,
    key: 'configFile',
  },
  {
    flag: PROBER_FLAGS.listenAddress,
    aliases: ['-l', '--listen'],
    value: '<address>',
    description: `host:port to listen on, [v6]:port, or :port for every interface (env ${PROBER_ENV.listenAddress}, default :9115)`,
    key: 'listenAddress',
  },
  { flag: PROBER_FLAGS.configCheck, aliases: ['--check'], description: 'validate the config file and exit', key: 'check' },
  {
    flag: PROBER_FLAGS.timeoutOffset,
    aliases: [],
    value: '<seconds>',
    description: 'seconds subtracted from the scrape timeout (default 0.5)',
    key: 'timeoutOffsetSeconds',
    parse: (text) => parseTimeoutOffset(text),
  },
  { flag: PROBER_FLAGS.logLevel, aliases: ['--log-level'], value: '<level>', description: `debug | info | warn | error (env ${PROBER_ENV.logLevel})`, key: 'logLevel' },
  { flag: PROBER_FLAGS.autoReload, aliases: [], description: 'reload when the config file changes (a ConfigMap update)', key: 'autoReload' },
  {
    flag: PROBER_FLAGS.autoReloadInterval,
    aliases: [],
    value: '<duration>',
    description: 'how often auto-reload looks at the file (at least 1s, default 30s)',
    key: 'autoReloadIntervalMs',
    parse: (text) => parseAutoReloadInterval(text),
  },
];

/**
 * Parses the flags of `node dist/prober/main.js` (every spelling of {@link PROBER_FLAG_TABLE}).
 * @throws ConfigError for unknown flags or bad values.
 */
export function parseProberArgs(argv: readonly string[]): ProberFlagValues {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const f of PROBER_FLAG_TABLE) {
    const type = f.value === undefined ? 'boolean' : 'string';
    const short = f.aliases.find((a) => /^-[^-]$/.test(a))?.slice(1);
    options[f.flag.slice(2)] = short === undefined ? { type } : { type, short };
    for (const alias of f.aliases.filter((a) => a.startsWith('--'))) options[alias.slice(2)] = { type };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new ConfigError('arguments', `${describeError(error)}; known flags: ${PROBER_FLAG_TABLE.map((f) => f.flag).join(', ')}`);
  }
  return readFlagValues((f) => [f.flag, ...f.aliases.filter((a) => a.startsWith('--'))].map((name) => values[name.slice(2)]).find((v) => v !== undefined));
}

/**
 * Folds the flags' raw values into settings, parsing each with its flag's rule. `raw` gives a
 * flag's text (or true for a switch), undefined when it was not given. Shared by both entry points.
 * @throws ConfigError naming the flag.
 */
export function readFlagValues(raw: (flag: ProberFlag) => string | boolean | undefined): ProberFlagValues {
  const out: Record<string, unknown> = {};
  for (const f of PROBER_FLAG_TABLE) {
    const value = raw(f);
    if (value === undefined) continue;
    out[f.key] = f.parse && typeof value === 'string' ? f.parse(value) : value;
  }
  return out as ProberFlagValues;
}

/**
 * Parses `--timeout-offset` (seconds >= 0, fractions allowed).
 * @throws ConfigError naming the flag.
 */
export function parseTimeoutOffset(text: string): number {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new ConfigError(PROBER_FLAGS.timeoutOffset, `${quoteValue(text)} is not allowed; use seconds >= 0, e.g. 0.5`);
  }
  return seconds;
}

/**
 * Parses `--config.auto-reload-interval` (a duration from 1s to what a timer holds) into milliseconds.
 * @throws ConfigError naming the flag.
 */
export function parseAutoReloadInterval(text: string): number {
  const ms = duration().parse(text, PROBER_FLAGS.autoReloadInterval);
  if (ms < 1000) throw new ConfigError(PROBER_FLAGS.autoReloadInterval, `${quoteValue(text)} is not allowed; use at least 1s`);
  return ms;
}
