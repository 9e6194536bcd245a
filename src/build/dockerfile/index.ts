/** The Dockerfile front end in one import: BuildKit's parser and shell-word expansion, ported. */
export {
  checkInstructions,
  chompHeredocContent,
  detectSyntax,
  DockerfileParseError,
  dump,
  heredocsFromLine,
  nodeArgs,
  parse,
  parseDirective,
  parseDockerfile,
  parseGoDuration,
  parseHeredoc,
  parseWords,
} from "./parser.ts";
export type { DirectiveMatch, Directives, Heredoc, Node, ParseResult, ParseWarning } from "./parser.ts";
export { EMPTY_ENV, envFromList, goQuote, processWord, processWords, ShellExpansionError, ShellLex, toEnvGetter } from "./shell.ts";
export type { EnvGetter, EnvInput, LexOptions, ProcessWordResult } from "./shell.ts";
