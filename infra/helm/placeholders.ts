/**
 * Template text from YAML. A template document is built as data with placeholders where template
 * expressions or blocks go, serialised by the `yaml` package, escaped, and only then are the
 * placeholders replaced: {@link Placeholders.toTemplate} is the one place where YAML text becomes
 * template text, so nothing that came from the config (an annotation holding `{{ fail "x" }}`,
 * say) is ever executed by helm.
 */
import { type ToStringOptions, stringify } from 'yaml';

/** How an expression is written where its placeholder stood. */
export type ScalarStyle =
  /** A string: `{{ expr | quote }}`. */
  | 'quote'
  /** A whole number: `{{ int (expr) }}`. */
  | 'int';

/** How a block is written after its key. */
export type BlockStyle =
  /** A list or map: its lines go under the key. */
  | 'lines'
  /** A literal block scalar (`key: |`): a multi-line string such as a config file. */
  | 'literal';

interface Block {
  readonly style: BlockStyle;
  /** The block's lines, indented by `indent` spaces. */
  readonly render: (indent: number) => string;
}

// Placeholders are DNS labels, so a name or label that holds one stays valid until it is replaced.
const TOKEN = /hxtok(\d+)x/g;
const QUOTED_OR_BARE_TOKEN = /"hxtok(\d+)x"|hxtok(\d+)x/g;
const BLOCK_LINE = /^( *)(- )?([^\n]+?): "?hxblock(\d+)x"?$/gm;

const DEFAULT_YAML: ToStringOptions = { lineWidth: 0 };

/** Placeholders for template expressions and blocks, shared by every document of a chart. */
export class Placeholders {
  private readonly scalars: { expression: string; style: ScalarStyle }[] = [];
  private readonly blocks: Block[] = [];

  /** The placeholder of a template expression; the same expression and style give the same placeholder. */
  scalar(expression: string, style: ScalarStyle = 'quote'): string {
    let index = this.scalars.findIndex((s) => s.expression === expression && s.style === style);
    if (index < 0) index = this.scalars.push({ expression, style }) - 1;
    return `hxtok${index}x`;
  }

  /** The placeholder of a block: put it where a map value goes; `render` gives its lines. */
  block(render: (indent: number) => string, style: BlockStyle = 'lines'): string {
    return `hxblock${this.blocks.push({ style, render }) - 1}x`;
  }

  /**
   * A template expression whose value is `text` with its placeholders replaced: a string literal,
   * the placeholder's own expression, or a `printf` joining literal parts and expressions.
   */
  expressionOf(text: string): string {
    const whole = /^hxtok(\d+)x$/.exec(text);
    if (whole) return `(${this.scalarAt(Number(whole[1])).expression})`;
    const args: string[] = [];
    const format = text.replaceAll('%', '%%').replace(TOKEN, (_m, n: string) => {
      args.push(`(${this.scalarAt(Number(n)).expression})`);
      return '%s';
    });
    return args.length === 0 ? JSON.stringify(text) : `(printf ${JSON.stringify(format)} ${args.join(' ')})`;
  }

  /**
   * Serialises `value` as YAML and turns it into template text: `{{` that came from the data is
   * escaped, then every placeholder becomes its expression or block. A string that holds a
   * placeholder among other text becomes one `printf` expression.
   */
  toTemplate(value: unknown, options: ToStringOptions = DEFAULT_YAML): string {
    const text = escapeTemplateText(stringify(this.embedInStrings(value), options));
    return text
      .replace(BLOCK_LINE, (_m, indent: string, dash: string | undefined, key: string, n: string) => {
        const block = this.blocks[Number(n)] as Block;
        const column = indent.length + (dash ? 2 : 0) + 2;
        return `${indent}${dash ?? ''}${key}:${block.style === 'literal' ? ' |' : ''}\n${block.render(column)}`;
      })
      .replace(QUOTED_OR_BARE_TOKEN, (_m, quoted: string | undefined, bare: string | undefined) => {
        const { expression, style } = this.scalarAt(Number(quoted ?? bare));
        return style === 'int' ? `{{ int ${expression} }}` : `{{ ${expression} | quote }}`;
      });
  }

  private scalarAt(index: number): { expression: string; style: ScalarStyle } {
    const scalar = this.scalars[index];
    if (!scalar) throw new Error(`internal error: no template expression ${index}`);
    return scalar;
  }

  /** A copy of `value` in which every string holding a placeholder among other text is one placeholder. */
  private embedInStrings(value: unknown): unknown {
    if (typeof value === 'string') {
      return /hxtok\d+x/.test(value) && !/^hxtok\d+x$/.test(value) ? this.scalar(this.expressionOf(value)) : value;
    }
    if (Array.isArray(value)) return value.map((v) => this.embedInStrings(v));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.embedInStrings(v)]));
    }
    return value;
  }
}

/** Text that a Go template writes out unchanged: every `{{` becomes an action printing `{{`. */
export function escapeTemplateText(text: string): string {
  return text.replaceAll('{{', '{{ "{{" }}');
}

/** `body` indented by `indent` spaces, one line each. */
export function indentLines(indent: number, body: readonly string[]): string {
  const pad = ' '.repeat(indent);
  return body.map((line) => `${pad}${line}`).join('\n');
}
