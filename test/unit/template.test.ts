/**
 * The Go template engine (src/cli/template.ts) on its own. The CASES table was produced by Go 1.19's
 * own text/template (the Go that built Docker 20.10.24) with Docker's template functions, on the same
 * data read as the engine reads JSON (integers int64, other numbers float64); errors are Go's exact
 * messages ("PARSE: …" from Parse, "EXEC: … || output so far" from Execute). The other tests cover the
 * engine's API: errors with positions, Docker's formats and tables, Go-typed values, the inspect fallback.
 * test/integration/docker-format.test.ts compares it with real Docker.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  dockerInspect, dockerRow, DOCKER_FUNCS, goDuration, goFloat, goInt, GoBasic, GoMap, GoNil, GoSlice, GoStruct, goJSON, goSprintf, goTyped,
  goTypeName, HISTORY_HEADERS, IMAGE_HEADERS, parseDockerFormat, parseDockerTemplate, parseTemplate, ROW_TYPES, tabwrite, TemplateError,
  type MissingKey,
} from "../../src/cli/template.ts";

const D = {
  Id: "sha256:abc", Size: 7316, Ratio: 1.5, Big: 1e21, Small: 0.00001, Neg: -3, Zero: 0, T: true, F: false, Nil: null,
  Tags: ["a:1", "b:latest"], Empty: [], Nums: [3, 1.25, -2], Mixed: ["x", 1, null, true, { k: "v" }, [1, 2]],
  Labels: { "z.last": "9", "a.first": "one <&>", M: "" }, EmptyMap: {}, Nested: { A: { B: { C: "deep" } }, N: null },
  Str: "héllo wörld", Multi: "line1\nline2\ttab", Quote: 'say "hi"', Unicode: "日本語テキスト", Env: ["PATH=/bin", "X=1"],
};

/** [template, what Go 1.19 printed, data (default D) and missingkey]. */
const CASES: [string, string, { data?: unknown; missingKey?: MissingKey }?][] = [
  ["{{.Id}}", "sha256:abc"],
  ["{{.}}", "map[Big:1e+21 Empty:[] EmptyMap:map[] Env:[PATH=/bin X=1] F:false Id:sha256:abc Labels:map[M: a.first:one <&> z.last:9] Mixed:[x 1 <nil> true map[k:v] [1 2]] Multi:line1\nline2\ttab Neg:-3 Nested:map[A:map[B:map[C:deep]] N:<nil>] Nil:<nil> Nums:[3 1.25 -2] Quote:say \"hi\" Ratio:1.5 Size:7316 Small:1e-05 Str:héllo wörld T:true Tags:[a:1 b:latest] Unicode:日本語テキスト Zero:0]"],
  ["{{.Size}}|{{.Ratio}}|{{.Big}}|{{.Small}}|{{.Neg}}|{{.Zero}}", "7316|1.5|1e+21|1e-05|-3|0"],
  ["{{.Tags}} {{.Empty}} {{.Nums}} {{.Mixed}}", "[a:1 b:latest] [] [3 1.25 -2] [x 1 <nil> true map[k:v] [1 2]]"],
  ["{{.Labels}} {{.EmptyMap}} {{.Nested}}", "map[M: a.first:one <&> z.last:9] map[] map[A:map[B:map[C:deep]] N:<nil>]"],
  ["{{.Nil}}|{{.Missing}}|{{.Nested.N}}|{{.Nested.A.B.C}}", "<no value>|<no value>|<no value>|deep"],
  ["{{.Missing.Foo}}", "<no value>"],
  ["{{.Missing.Foo}}", "EXEC: template: :1:10: executing \"\" at <.Missing.Foo>: map has no entry for key \"Missing\" || ", { missingKey: "error" }],
  ["{{.Missing}}", "EXEC: template: :1:2: executing \"\" at <.Missing>: map has no entry for key \"Missing\" || ", { missingKey: "error" }],
  ["{{.Missing}}", "<no value>", { missingKey: "zero" }],
  ["{{.Nested.N.X}}", "EXEC: template: :1:9: executing \"\" at <.Nested.N.X>: nil pointer evaluating interface {}.X || "],
  ["{{.Id.X}}", "EXEC: template: :1:5: executing \"\" at <.Id.X>: can't evaluate field X in type interface {} || "],
  ["{{.Tags.X}}", "EXEC: template: :1:7: executing \"\" at <.Tags.X>: can't evaluate field X in type interface {} || "],
  ["{{json .}}", "{\"Big\":1e+21,\"Empty\":[],\"EmptyMap\":{},\"Env\":[\"PATH=/bin\",\"X=1\"],\"F\":false,\"Id\":\"sha256:abc\",\"Labels\":{\"M\":\"\",\"a.first\":\"one <&>\",\"z.last\":\"9\"},\"Mixed\":[\"x\",1,null,true,{\"k\":\"v\"},[1,2]],\"Multi\":\"line1\\nline2\\ttab\",\"Neg\":-3,\"Nested\":{\"A\":{\"B\":{\"C\":\"deep\"}},\"N\":null},\"Nil\":null,\"Nums\":[3,1.25,-2],\"Quote\":\"say \\\"hi\\\"\",\"Ratio\":1.5,\"Size\":7316,\"Small\":0.00001,\"Str\":\"héllo wörld\",\"T\":true,\"Tags\":[\"a:1\",\"b:latest\"],\"Unicode\":\"日本語テキスト\",\"Zero\":0}"],
  ["{{json .Labels}} {{json .Tags}} {{json .Nil}} {{json .Missing}} {{json .Ratio}} {{json .Big}} {{json .Small}}", "{\"M\":\"\",\"a.first\":\"one <&>\",\"z.last\":\"9\"} [\"a:1\",\"b:latest\"] null null 1.5 1e+21 0.00001"],
  ["{{.Tags | json}}", "[\"a:1\",\"b:latest\"]"],
  ["{{json .Multi}} {{json .Quote}} {{json .Unicode}}", "\"line1\\nline2\\ttab\" \"say \\\"hi\\\"\" \"日本語テキスト\""],
  ["{{range .Tags}}[{{.}}]{{end}}", "[a:1][b:latest]"],
  ["{{range $i, $e := .Tags}}{{$i}}={{$e}},{{end}}", "0=a:1,1=b:latest,"],
  ["{{range $e := .Nums}}<{{$e}}>{{end}}", "<3><1.25><-2>"],
  ["{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", "M=;a.first=one <&>;z.last=9;"],
  ["{{range .Empty}}x{{else}}empty{{end}}", "empty"],
  ["{{range .Missing}}x{{else}}none{{end}}", "none"],
  ["{{range .Mixed}}({{.}}){{end}}", "(x)(1)(<no value>)(true)(map[k:v])([1 2])"],
  ["{{range .Id}}x{{end}}", "EXEC: template: :1:8: executing \"\" at <.Id>: range can't iterate over sha256:abc || "],
  ["{{range .Size}}x{{end}}", "EXEC: template: :1:8: executing \"\" at <.Size>: range can't iterate over 7316 || "],
  ["{{range .Tags}}{{if eq . \"a:1\"}}{{continue}}{{end}}{{.}}{{end}}", "b:latest"],
  ["{{range .Tags}}{{.}}{{break}}{{end}}", "a:1"],
  ["{{if .T}}yes{{end}}|{{if .F}}yes{{else}}no{{end}}|{{if .Empty}}x{{else if .Tags}}tags{{else}}none{{end}}", "yes|no|tags"],
  ["{{if .Zero}}a{{else if .Nil}}b{{else if .EmptyMap}}c{{else}}d{{end}}", "d"],
  ["{{if .Missing}}a{{else}}b{{end}}", "b"],
  ["{{with .Labels}}{{index . \"a.first\"}}{{end}}|{{with .Empty}}x{{else}}no{{end}}|{{with $x := .Id}}{{$x}}{{.}}{{end}}", "one <&>|no|sha256:abcsha256:abc"],
  ["{{$x := .Id}}{{$x}} {{$x = \"new\"}}{{$x}} {{$}}", "i new map[Id:i]", { data: {"Id":"i"} }],
  ["{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"],
  ["{{if true}}{{$y := 1}}{{end}}{{$y}}", "PARSE: template: :1: undefined variable \"$y\""],
  ["{{eq .Size 7316}} {{eq .Id \"a\" \"sha256:abc\"}} {{ne .Id \"x\"}} {{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2.5}}", "true true true true true true false"],
  ["{{eq .Size 1.5}}", "EXEC: template: :1:2: executing \"\" at <eq .Size 1.5>: error calling eq: incompatible types for comparison || "],
  ["{{lt .T .F}}", "EXEC: template: :1:2: executing \"\" at <lt .T .F>: error calling lt: invalid type for comparison || "],
  ["{{eq .Tags .Tags}}", "EXEC: template: :1:2: executing \"\" at <eq .Tags .Tags>: error calling eq: non-comparable type [a:1 b:latest]: []interface {} || "],
  ["{{eq .Missing nil}} {{eq .Id nil}}", "true false"],
  ["{{eq .Labels .Missing}}", "false"],
  ["{{eq}}", "EXEC: template: :1:2: executing \"\" at <eq>: wrong number of args for eq: want at least 1 got 0 || "],
  ["{{eq 1}}", "EXEC: template: :1:2: executing \"\" at <eq 1>: error calling eq: missing argument for comparison || "],
  ["{{lt .Id 1}}", "EXEC: template: :1:2: executing \"\" at <lt .Id 1>: error calling lt: incompatible types for comparison || "],
  ["{{eq .Ratio 1.5}} {{lt .Neg 0}} {{eq 0x10 16}} {{eq 'a' 97}}", "true true true true"],
  ["{{and 1 0 2}}|{{and 1 2}}|{{or 0 \"\" 3}}|{{or 0 \"\"}}|{{not .T}}|{{not .Empty}}|{{and .T .Id}}|{{or .Missing .Id}}", "0|2|3||false|true|sha256:abc|sha256:abc"],
  ["{{and .T (index .Tags 5)}}", "EXEC: template: :1:10: executing \"\" at <index .Tags 5>: error calling index: index out of range: 5 || "],
  ["{{or .T (index .Tags 5)}}", "true"],
  ["{{and}}", "EXEC: template: :1:2: executing \"\" at <and>: wrong number of args for and: want at least 1 got 0 || "],
  ["{{.Id | and .T}}", "sha256:abc"],
  ["{{len .Tags}} {{len .Labels}} {{len .Str}} {{len .Empty}} {{len .Unicode}}", "2 3 13 0 21"],
  ["{{len .Size}}", "EXEC: template: :1:2: executing \"\" at <len .Size>: error calling len: len of type int64 || "],
  ["{{len .Missing}}", "EXEC: template: :1:2: executing \"\" at <len .Missing>: error calling len: reflect: call of reflect.Value.Type on zero Value || "],
  ["{{len .Nil}}", "EXEC: template: :1:2: executing \"\" at <len .Nil>: error calling len: len of nil pointer || "],
  ["{{index .Tags 1}} {{index .Labels \"M\"}}|{{index .Labels \"nope\"}}|{{index .Nested \"A\" \"B\" \"C\"}} {{index .Str 1}} {{index .Mixed 4 \"k\"}}", "b:latest |<no value>|deep 195 v"],
  ["{{index .Tags 2}}", "EXEC: template: :1:2: executing \"\" at <index .Tags 2>: error calling index: reflect: slice index out of range || "],
  ["{{index .Tags 5}}", "EXEC: template: :1:2: executing \"\" at <index .Tags 5>: error calling index: index out of range: 5 || "],
  ["{{index .Tags -1}}", "EXEC: template: :1:2: executing \"\" at <index .Tags -1>: error calling index: index out of range: -1 || "],
  ["{{index .Size 1}}", "EXEC: template: :1:2: executing \"\" at <index .Size 1>: error calling index: can't index item of type int64 || "],
  ["{{index .Missing 1}}", "EXEC: template: :1:2: executing \"\" at <index .Missing 1>: error calling index: index of untyped nil || "],
  ["{{index .Labels 1}}", "EXEC: template: :1:2: executing \"\" at <index .Labels 1>: error calling index: value has type int; should be string || "],
  ["{{index .Tags \"x\"}}", "EXEC: template: :1:2: executing \"\" at <index .Tags \"x\">: error calling index: cannot index slice/array with type string || "],
  ["{{slice .Id 0 6}} {{slice .Tags 1}} {{slice .Tags 0 1}} {{slice .Str 1 3}}", "sha256 [b:latest] [a:1] é"],
  ["{{slice .Id 3 1}}", "EXEC: template: :1:2: executing \"\" at <slice .Id 3 1>: error calling slice: invalid slice index: 3 > 1 || "],
  ["{{slice .Size 1}}", "EXEC: template: :1:2: executing \"\" at <slice .Size 1>: error calling slice: can't slice item of type int64 || "],
  ["{{printf \"%s|%d|%v|%q|%t|%x|%X|%o|%b|%c|%U|%e|%f|%g|%T\" .Id .Size .Tags .Id .T .Size .Size 8 5 65 0x1F600 .Ratio .Ratio .Small .Labels}}", "sha256:abc|7316|[a:1 b:latest]|\"sha256:abc\"|true|1c94|1C94|10|101|A|U+1F600|1.500000e+00|1.500000|1e-05|map[string]interface {}"],
  ["{{printf \"%-10s|%10s|%.3s|%5.1f|%-8.3f|%08.3f|%+d|% d|%05d|%-5d|%x|% x|%#x|%#o|%#v|%+v|%#q\" \"ab\" \"cd\" \"abcdef\" 3.14159 2.5 -1.5 5 7 42 -3 \"hi\" \"hi\" 255 8 .Tags .Labels \"bq\"}}", "ab        |        cd|abc|  3.1|2.500   |-001.500|+5| 7|00042|-3   |6869|68 69|0xff|010|[]interface {}{\"a:1\", \"b:latest\"}|map[M: a.first:one <&> z.last:9]|`bq`"],
  ["{{printf \"%6.1f|%.0f|%.0f|%.0f|%.2f|%.1e|%g|%g|%g|%G|%.3g|%.10g|%v|%v|%v|%v\" 2.25 0.5 1.5 2.5 1.005 12345.678 1e6 1e-5 123456.0 1e-7 1234.5678 0.1 100000.0 1234567.0 1e20 1e21}}", "   2.2|0|2|2|1.00|1.2e+04|1e+06|1e-05|123456|1E-07|1.23e+03|0.1|100000|1.234567e+06|1e+20|1e+21"],
  ["{{printf \"%d\"}}|{{printf \"%d\" 1 2}}|{{printf \"%d\" \"x\"}}|{{printf \"%s\" nil}}|{{printf \"%s\" .Size}}|{{printf \"%d\" .Tags}}|{{printf \"%z\" 1}}|{{printf \"%!\"}}|{{printf \"%\"}}|{{printf \"100%%\"}}", "%!d(MISSING)|1%!(EXTRA int=2)|%!d(string=x)|%!s(<nil>)|%!s(int64=7316)|[%!d(string=a:1) %!d(string=b:latest)]|%!z(int=1)|%!!(MISSING)|%!(NOVERB)|100%"],
  ["{{printf \"%v %v %v\" .Nil .Missing .Labels.nope}}|{{printf \"%5v|%-5v|\" .Tags .Nums}}|{{printf \"%*d|%-*d|%.*f\" 5 1 4 2 2 3.14159}}|{{printf \"%[2]d %[1]d\" 1 2}}|{{printf \"%[3]d\" 1}}", "<nil> <nil> <nil>|[  a:1 b:latest]|[3     1.25  -2   ]||    1|2   |3.14|2 1|%!d(BADINDEX)"],
  ["{{printf \"%q %q %+q %x %X %s\" .Multi .Unicode .Unicode .Unicode .Str .Mixed}}", "\"line1\\nline2\\ttab\" \"日本語テキスト\" \"\\u65e5\\u672c\\u8a9e\\u30c6\\u30ad\\u30b9\\u30c8\" e697a5e69cace8aa9ee38386e382ade382b9e38388 68C3A96C6C6F2077C3B6726C64 [x %!s(int64=1) <nil> %!s(bool=true) map[k:v] [%!s(int64=1) %!s(int64=2)]]"],
  ["{{printf \"%v|%s|%d\" .Mixed .Mixed .Mixed}}", "[x 1 <nil> true map[k:v] [1 2]]|[x %!s(int64=1) <nil> %!s(bool=true) map[k:v] [%!s(int64=1) %!s(int64=2)]]|[%!d(string=x) 1 <nil> %!d(bool=true) map[%!d(string=k):%!d(string=v)] [1 2]]"],
  ["{{printf \"%t %t\" .T 1}}", "true %!t(int=1)"],
  ["{{printf \"%T %T %T %T %T %T %T\" 1 1.0 .Size .Ratio \"s\" .Tags .Nil}}", "int float64 int64 float64 string []interface {} <nil>"],
  ["{{printf \"%c|%q|%U|%#U\" 0x1F600 'x' 0x41 0x263A}}", "😀|'x'|U+0041|U+263A '☺'"],
  ["{{printf \"%e %E %.3e %10.2e %-12.4E|\" 0.0 123456789.0 -0.000123456 1.0 99.999}}", "0.000000e+00 1.234568E+08 -1.235e-04   1.00e+00 9.9999E+01  |"],
  ["{{printf \"%#g %#.3g %#f %#e %#.0f\" 1.0 2.0 3.0 4.0 5.0}}", "1.00000 2.00 3.000000 4.000000e+00 5."],
  ["{{printf \"%x %X %#x %o %b\" -255 255 0 -8 -5}}", "-ff FF 0x0 -10 -101"],
  ["{{printf \"%.0d|%.3d|%8.3d|%-8.3d|%+.2d\" 0 7 7 7 7}}", "|007|     007|007     |+07"],
  ["{{print 1 2 \"a\" 3 true false .Size \"b\" \"c\" .Nil}}|{{println 1 \"b\" 2}}|{{print}}|{{println}}|{{print .Tags .Labels}}", "1 2a3 true false 7316bc<nil>|1 b 2\n||\n|[a:1 b:latest] map[M: a.first:one <&> z.last:9]"],
  ["{{html \"<a href='x'>&\\\"</a>\"}} {{js \"it's <b> & \\\"q\\\" = \\n é\"}} {{urlquery \"a b&c=d/é\"}} {{html .Missing}} {{html 1 2}}", "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt; it\\'s \\u003Cb\\u003E \\u0026 \\\"q\\\" \\u003D \\u000A é a+b%26c%3Dd%2F%C3%A9 &lt;no value&gt; 1 2"],
  ["{{split .Id \":\"}} {{split \"a,b,,c\" \",\"}} {{split \"abc\" \"\"}} {{join .Tags \", \"}} {{join .Env \";\"}} {{title \"hello wORLD foo-bar x_y\"}} {{lower \"ÀBC\"}} {{upper .Str}}", "EXEC: template: :1:67: executing \"\" at <.Tags>: wrong type for value; expected []string; got []interface {} || [sha256 abc] [a b  c] [a b c] "],
  ["[{{pad \"x\" 2 3}}][{{pad \"\" 2 3}}][{{truncate .Id 6}}][{{truncate \"ab\" 100}}][{{truncate \"abc\" 3}}][{{truncate .Unicode 3}}]", "[  x   ][][sha256][ab][abc][日]"],
  ["{{join .Mixed \",\"}}", "EXEC: template: :1:7: executing \"\" at <.Mixed>: wrong type for value; expected []string; got []interface {} || "],
  ["{{join .Tags 1}}", "EXEC: template: :1:7: executing \"\" at <.Tags>: wrong type for value; expected []string; got []interface {} || "],
  ["{{.Tags | join \",\"}}", "EXEC: template: :1:15: executing \"\" at <\",\">: can't handle \",\" for arg of type []string || "],
  ["{{\",\" | join .Tags}}", "EXEC: template: :1:13: executing \"\" at <.Tags>: wrong type for value; expected []string; got []interface {} || "],
  ["{{title .Size}}", "EXEC: template: :1:8: executing \"\" at <.Size>: wrong type for value; expected string; got int64 || "],
  ["{{title 5}}", "EXEC: template: :1:8: executing \"\" at <5>: expected string; found 5 || "],
  ["{{truncate .Id .Size}}", "EXEC: template: :1:15: executing \"\" at <.Size>: wrong type for value; expected int; got int64 || "],
  ["{{truncate .Id (len .Tags)}}", "sh"],
  ["{{pad .Id -1 0}}", "EXEC: template: :1:2: executing \"\" at <pad .Id -1 0>: error calling pad: strings: negative Repeat count || "],
  ["{{truncate .Id -1}}", "EXEC: template: :1:2: executing \"\" at <truncate .Id -1>: error calling truncate: runtime error: slice bounds out of range [:-1] || "],
  ["{{title .Missing}}", "EXEC: template: :1:8: executing \"\" at <.Missing>: invalid value; expected string || "],
  ["{{title nil}}", "EXEC: template: :1:8: executing \"\" at <nil>: cannot assign nil to string || "],
  ["{{split .Id \":\" | len}} {{index (split .Id \":\") 1}} {{(split .Id \":\")}} {{printf \"%T\" (split .Id \":\")}}", "2 abc [sha256 abc] []string"],
  ["{{.Id | printf \"%s!\" | printf \"%q\"}} {{.Size | printf \"%d-%s\" 5}}", "\"sha256:abc!\" 5-%!s(int64=7316)"],
  ["{{(index .Mixed 4).k}} {{(.Nested).A.B.C}}", "v deep"],
  ["a  {{- .Id -}}  b\n {{- \" c \" }} \n{{- /* comment */ -}}\n d {{/* c2 */}} e", "asha256:abcb c d  e"],
  ["{{- .Id}}", "sha256:abc"],
  ["x {{-3}} {{- 3}}", "x -33"],
  ["{{.Id -}} \n\n y", "sha256:abcy"],
  ["{{/* a comment */}}ok", "ok"],
  ["{{- /* a comment */ -}} ok", "ok"],
  ["{{\"\\u00e9\\t\\x41\\101\"}}|{{`raw\\n`}}|{{'\\n'}}|{{1_000}}|{{0b101}}|{{0o17}}|{{017}}|{{0x1p4}}|{{1e3}}|{{-0.5}}|{{+3}}|{{.5}}", "é\tAA|raw\\n|10|1000|5|15|15|16|1000|-0.5|3|0.5"],
  ["{{true}} {{false}} {{nil}}", "EXEC: template: :1:21: executing \"\" at <nil>: nil is not a command || true false "],
  ["{{3 | len}}", "EXEC: template: :1:6: executing \"\" at <len>: error calling len: len of type int || "],
  ["{{.Id 3}}", "EXEC: template: :1:2: executing \"\" at <.Id>: Id is not a method but has arguments || "],
  ["{{.Labels.M 3}}", "EXEC: template: :1:9: executing \"\" at <.Labels.M>: M is not a method but has arguments || "],
  ["{{$ 3}}", "EXEC: template: :1:2: executing \"\" at <$>: can't give argument to non-function $ || "],
  ["{{1 2}}", "EXEC: template: :1:2: executing \"\" at <1>: can't give argument to non-function 1 || "],
  ["{{.Id | 3}}", "PARSE: template: :1: non executable command in pipeline stage 2"],
  ["{{define \"t\"}}[{{.}}]{{end}}{{template \"t\" .Id}}{{template \"t\"}}{{block \"b\" .Size}}<{{.}}>{{end}}", "[sha256:abc][<no value>]<7316>"],
  ["{{template \"nope\"}}", "EXEC: template: :1:11: executing \"\" at <{{template \"nope\"}}>: template \"nope\" not defined || "],
  ["{{.Foo", "PARSE: template: :1: unclosed action"],
  ["{{.Foo}", "PARSE: template: :1: bad character U+007D '}'"],
  ["{{if .T}}x", "PARSE: template: :1: unexpected EOF"],
  ["{{end}}", "PARSE: template: :1: unexpected {{end}}"],
  ["{{else}}", "PARSE: template: :1: unexpected {{else}}"],
  ["{{if}}{{end}}", "PARSE: template: :1: missing value for if"],
  ["{{range}}{{end}}", "PARSE: template: :1: missing value for range"],
  ["{{foo}}", "PARSE: template: :1: function \"foo\" not defined"],
  ["{{$x}}", "PARSE: template: :1: undefined variable \"$x\""],
  ["{{.Id | }}", "sha256:abc"],
  ["{{(.Id}}", "PARSE: template: :1: unclosed left paren"],
  ["{{.Id)}}", "PARSE: template: :1: unexpected \")\" in command"],
  ["{{\"abc}}", "PARSE: template: :1: unterminated quoted string"],
  ["{{`abc}}", "PARSE: template: :1: unterminated raw quoted string"],
  ["{{'ab'}}", "PARSE: template: :1: malformed character constant: 'ab'"],
  ["{{3x}}", "PARSE: template: :1: bad number syntax: \"3x\""],
  ["{{.Id!}}", "PARSE: template: :1: bad character U+0021 '!'"],
  ["{{/* x }}", "PARSE: template: :1: unclosed comment"],
  ["{{/* x */ }}", "PARSE: template: :1: comment ends before closing delimiter"],
  ["{{break}}", "PARSE: template: :1: {{break}} outside {{range}}"],
  ["{{range .Tags}}{{break 1}}{{end}}", "PARSE: template: :1: unexpected \"1\" in {{break}}"],
  ["{{if .T}}{{else}}{{else}}{{end}}", "PARSE: template: :1: expected end; found {{else}}"],
  ["{{with .T}}{{else if .F}}{{end}}", "PARSE: template: :1: unexpected <if> in input"],
  ["{{range $a, $b, $c := .Tags}}{{end}}", "PARSE: template: :1: too many declarations in range"],
  ["{{$a, $b := .Tags}}", "PARSE: template: :1: too many declarations in command"],
  ["{{.Id.}}", "PARSE: template: :1: unexpected <.> in operand"],
  ["{{\"a\".x}}", "PARSE: template: :1: unexpected . after term \"\\\"a\\\"\""],
  ["{{nil}}", "EXEC: template: :1:2: executing \"\" at <nil>: nil is not a command || "],
  ["{{1.5.x}}", "PARSE: template: :1: unexpected . after term \"1.5\""],
  ["line1\nline2 {{.Id}}\n{{.Missing.Foo.Bar}}", "EXEC: template: :3:10: executing \"\" at <.Missing.Foo.Bar>: map has no entry for key \"Missing\" || line1\nline2 sha256:abc\n", { missingKey: "error" }],
  ["x\n{{if .T}}\n{{.Foo", "PARSE: template: :3: unclosed action"],
  ["{{.Id | printf \"%s\" | title | upper | printf \"%q\" | len}}", "12"],
  ["{{index .Tags 0 | printf \"%s\"}}", "a:1"],
  ["{{with $v := index .Tags 0}}{{$v}}{{end}}", "a:1"],
  ["{{range $i, $v := .Labels}}{{$i}}{{end}}", "Ma.firstz.last"],
  ["{{range .Nested}}{{.}};{{end}}", "map[B:map[C:deep]];<no value>;"],
  ["{{.Nested.A.B.C.D}}", "EXEC: template: :1:9: executing \"\" at <.Nested.A.B.C.D>: can't evaluate field D in type interface {} || "],
  ["{{.Nested.A.B.C.D}}", "EXEC: template: :1:9: executing \"\" at <.Nested.A.B.C.D>: can't evaluate field D in type interface {} || ", { missingKey: "error" }],
  ["{{.Labels.nope.x}}", "<no value>"],
  ["{{printf \"%v\" .Nested.N}} {{.Nested.N}}", "<nil> <no value>"],
  ["{{ .Id }}{{  .Size  }}{{\t.T\n}}", "sha256:abc7316true"],
  ["{{.Id}}{{.Size}}", "<no value><no value>", { data: null }],
  ["{{.}}", "<no value>", { data: null }],
  ["{{.}}", "[1 2]", { data: [1,2] }],
  ["{{.}}", "s", { data: "s" }],
  ["{{.x}}", "EXEC: template: :1:2: executing \"\" at <.x>: can't evaluate field x in type int64 || ", { data: 5 }],
  ["{{printf \"%v %.0e %v\" .x .x .x}}|{{.x}}|{{json .x}}", "11.4375 1e+01 11.4375|11.4375|11.4375", { data: {"x":11.4375} }],
  ["{{printf \"%.0f %.1f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-138113 -138113.3 -138113.26026916504|-138113.26026916504|-138113.26026916504", { data: {"x":-138113.26026916504} }],
  ["{{printf \"%10.3f %.10f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-384957313537.598 -384957313537.5976562500 -3.8495731353759766e+11|-3.8495731353759766e+11|-384957313537.59766", { data: {"x":-384957313537.59766} }],
  ["{{printf \"%#v %.3g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "15.146446228027344 15.1 15.146446228027344|15.146446228027344|15.146446228027344", { data: {"x":15.146446228027344} }],
  ["{{printf \"%f %G %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-0.047433 -0.04743301868438721 -0.04743301868438721|-0.04743301868438721|-0.04743301868438721", { data: {"x":-0.04743301868438721} }],
  ["{{printf \"%.1g %-10.2e| %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-2e-18 -2.31e-18 | -2.3057684302330014e-18|-2.3057684302330014e-18|-2.3057684302330014e-18", { data: {"x":-2.3057684302330014e-18} }],
  ["{{printf \"% .4f %08.2f %v\" .x .x .x}}|{{.x}}|{{json .x}}", " 4.9424 00004.94 4.942363500595093|4.942363500595093|4.942363500595093", { data: {"x":4.942363500595093} }],
  ["{{printf \"%.2e %#.2g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "2.98e+05 3.0e+05 298475.527|298475.527|298475.527", { data: {"x":298475.527} }],
  ["{{printf \"%g %.20g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-401.48162841796875 -401.48162841796875 -401.48162841796875|-401.48162841796875|-401.48162841796875", { data: {"x":-401.48162841796875} }],
  ["{{printf \"%+.3g %e %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-1.63e+13 -1.630378e+13 -1.6303777694702148e+13|-1.6303777694702148e+13|-16303777694702.148", { data: {"x":-16303777694702.148} }],
  ["{{printf \"%.0f %.1f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "8 7.9 7.9375|7.9375|7.9375", { data: {"x":7.9375} }],
  ["{{printf \"%10.3f %.10f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "     0.000 0.0000000000 2.63816624879837e-12|2.63816624879837e-12|2.63816624879837e-12", { data: {"x":2.63816624879837e-12} }],
  ["{{printf \"%#v %.3g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-4.556559920310974e-08 -4.56e-08 -4.556559920310974e-08|-4.556559920310974e-08|-4.556559920310974e-8", { data: {"x":-4.556559920310974e-8} }],
  ["{{printf \"%f %G %v\" .x .x .x}}|{{.x}}|{{json .x}}", "0.500000 0.5 0.5|0.5|0.5", { data: {"x":0.5} }],
  ["{{printf \"%.1g %-10.2e| %v\" .x .x .x}}|{{.x}}|{{json .x}}", "7 7.26e+00  | 7.263708114624023|7.263708114624023|7.263708114624023", { data: {"x":7.263708114624023} }],
  ["{{printf \"% .4f %08.2f %v\" .x .x .x}}|{{.x}}|{{json .x}}", " 3431.2987 03431.30 3431.2987327575684|3431.2987327575684|3431.2987327575684", { data: {"x":3431.2987327575684} }],
  ["{{printf \"%.2e %#.2g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-3.37e-18 -3.4e-18 -3.367385566234588e-18|-3.367385566234588e-18|-3.367385566234588e-18", { data: {"x":-3.367385566234588e-18} }],
  ["{{printf \"%v %.0e %v\" .x .x .x}}|{{.x}}|{{json .x}}", "4.7266986966133115e-17 5e-17 4.7266986966133115e-17|4.7266986966133115e-17|4.7266986966133115e-17", { data: {"x":4.7266986966133115e-17} }],
  ["{{printf \"%.0f %.1f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "0 0.5 0.5|0.5|0.5", { data: {"x":0.5} }],
  ["{{printf \"%10.3f %.10f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "    10.812 10.8125000000 10.8125|10.8125|10.8125", { data: {"x":10.8125} }],
  ["{{printf \"%f %G %v\" .x .x .x}}|{{.x}}|{{json .x}}", "32566.905022 32566.90502166748 32566.90502166748|32566.90502166748|32566.90502166748", { data: {"x":32566.90502166748} }],
  ["{{printf \"% .4f %08.2f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-0.0000 -0000.00 -1.5421187877655028e-08|-1.5421187877655028e-08|-1.5421187877655028e-8", { data: {"x":-1.5421187877655028e-8} }],
  ["{{printf \"%.2e %#.2g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-2.20e-10 -2.2e-10 -2.2004425525665285e-10|-2.2004425525665285e-10|-2.2004425525665285e-10", { data: {"x":-2.2004425525665285e-10} }],
  ["{{printf \"%+.3g %e %v\" .x .x .x}}|{{.x}}|{{json .x}}", "+4.79e-18 4.794128e-18 4.794128239154815e-18|4.794128239154815e-18|4.794128239154815e-18", { data: {"x":4.794128239154815e-18} }],
  ["{{printf \"%v %.0e %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-3.054461479187012e-09 -3e-09 -3.054461479187012e-09|-3.054461479187012e-09|-3.054461479187012e-9", { data: {"x":-3.054461479187012e-9} }],
  ["{{printf \"%.0f %.1f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-0 -0.0 -4.517426192760468e-15|-4.517426192760468e-15|-4.517426192760468e-15", { data: {"x":-4.517426192760468e-15} }],
  ["{{printf \"%10.3f %.10f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "     0.000 0.0000000450 4.501038789749145e-08|4.501038789749145e-08|4.501038789749145e-8", { data: {"x":4.501038789749145e-8} }],
  ["{{printf \"%#v %.3g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "10.9375 10.9 10.9375|10.9375|10.9375", { data: {"x":10.9375} }],
  ["{{printf \"%f %G %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-0.000000 -1.3469514250755308E-18 -1.3469514250755308e-18|-1.3469514250755308e-18|-1.3469514250755308e-18", { data: {"x":-1.3469514250755308e-18} }],
  ["{{printf \"% .4f %08.2f %v\" .x .x .x}}|{{.x}}|{{json .x}}", " 0.0000 00000.00 4.562248587608338e-15|4.562248587608338e-15|4.562248587608338e-15", { data: {"x":4.562248587608338e-15} }],
  ["{{printf \"%.2e %#.2g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-4.26e-14 -4.3e-14 -4.262182116508484e-14|-4.262182116508484e-14|-4.262182116508484e-14", { data: {"x":-4.262182116508484e-14} }],
  ["{{printf \"%g %.20g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-4.976742267608643e+12 -4976742267608.6425781 -4.976742267608643e+12|-4.976742267608643e+12|-4976742267608.643", { data: {"x":-4976742267608.643} }],
  ["{{printf \"%+.3g %e %v\" .x .x .x}}|{{.x}}|{{json .x}}", "+1.44 1.438181e+00 1.4381814002990723|1.4381814002990723|1.4381814002990723", { data: {"x":1.4381814002990723} }],
  ["{{printf \"%.0f %.1f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "%!f(int64=2553960084915161) %!f(int64=2553960084915161) 2553960084915161|2553960084915161|2553960084915161", { data: {"x":2553960084915161} }],
  ["{{printf \"%10.3f %.10f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "28443455696.606 28443455696.6059989929 2.8443455696606e+10|2.8443455696606e+10|28443455696.606", { data: {"x":28443455696.606} }],
  ["{{printf \"%#v %.3g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-14241.600036621094 -1.42e+04 -14241.600036621094|-14241.600036621094|-14241.600036621094", { data: {"x":-14241.600036621094} }],
  ["{{printf \"%f %G %v\" .x .x .x}}|{{.x}}|{{json .x}}", "12.187500 12.1875 12.1875|12.1875|12.1875", { data: {"x":12.1875} }],
  ["{{printf \"%.1g %-10.2e| %v\" .x .x .x}}|{{.x}}|{{json .x}}", "1e+11 1.22e+11  | 1.2197184562683105e+11|1.2197184562683105e+11|121971845626.83105", { data: {"x":121971845626.83105} }],
  ["{{printf \"% .4f %08.2f %v\" .x .x .x}}|{{.x}}|{{json .x}}", " 8.7089 00008.71 8.708906173706055|8.708906173706055|8.708906173706055", { data: {"x":8.708906173706055} }],
  ["{{printf \"%.2e %#.2g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-3.11e-14 -3.1e-14 -3.113600611686707e-14|-3.113600611686707e-14|-3.113600611686707e-14", { data: {"x":-3.113600611686707e-14} }],
  ["{{printf \"%g %.20g %v\" .x .x .x}}|{{.x}}|{{json .x}}", "-9.142112731933595e-11 -9.1421127319335948511e-11 -9.142112731933595e-11|-9.142112731933595e-11|-9.142112731933595e-11", { data: {"x":-9.142112731933595e-11} }],
  ["{{printf \"%+.3g %e %v\" .x .x .x}}|{{.x}}|{{json .x}}", "+0.5 5.000000e-01 0.5|0.5|0.5", { data: {"x":0.5} }],
  ["{{printf \"%v %.0e %v\" .x .x .x}}|{{.x}}|{{json .x}}", "0.5 5e-01 0.5|0.5|0.5", { data: {"x":0.5} }],
  ["{{printf \"%.0f %.1f %v\" .x .x .x}}|{{.x}}|{{json .x}}", "123456789 123456789.1 1.23456789123e+08|1.23456789123e+08|123456789.123", { data: {"x":123456789.123} }],
  ["{{printf \"%d|%5d|%-5d|%05d|%x|%X|%o|%b|%+d|%v|%.3d|%q|%c|%U\" .n .n .n .n .n .n .n .n .n .n .n .n .n .n}}|{{.n}}|{{json .n}}", "0|    0|0    |00000|0|0|0|0|+0|0|000|'\\x00'|\u0000|U+0000|0|0", { data: {"n":0} }],
  ["{{printf \"%d|%5d|%-5d|%05d|%x|%X|%o|%b|%+d|%v|%.3d|%q|%c|%U\" .n .n .n .n .n .n .n .n .n .n .n .n .n .n}}|{{.n}}|{{json .n}}", "1|    1|1    |00001|1|1|1|1|+1|1|001|'\\x01'|\u0001|U+0001|1|1", { data: {"n":1} }],
  ["{{printf \"%d|%5d|%-5d|%05d|%x|%X|%o|%b|%+d|%v|%.3d|%q|%c|%U\" .n .n .n .n .n .n .n .n .n .n .n .n .n .n}}|{{.n}}|{{json .n}}", "-1|   -1|-1   |-0001|-1|-1|-1|-1|-1|-1|-001|'�'|�|U+FFFFFFFFFFFFFFFF|-1|-1", { data: {"n":-1} }],
  ["{{printf \"%d|%5d|%-5d|%05d|%x|%X|%o|%b|%+d|%v|%.3d|%q|%c|%U\" .n .n .n .n .n .n .n .n .n .n .n .n .n .n}}|{{.n}}|{{json .n}}", "7316| 7316|7316 |07316|1c94|1C94|16224|1110010010100|+7316|7316|7316|'Ე'|Ე|U+1C94|7316|7316", { data: {"n":7316} }],
  ["{{range $i, $t := .a}}{{range $j, $u := $.b}}{{$i}}{{$j}}{{$t}}{{$u}} {{end}}{{end}}", "00x1 01x2 10y1 11y2 ", { data: {"a":["x","y"],"b":[1,2]} }],
  ["{{range .a}}{{$.b}}{{end}}", "BB", { data: {"a":[1,2],"b":"B"} }],
  ["{{range .a}}{{.X}}{{end}}", "1<no value>", { data: {"a":[{"X":1},{"Y":2}]} }],
  ["{{range .a}}{{.X}}{{end}}", "EXEC: template: :1:14: executing \"\" at <.X>: map has no entry for key \"X\" || 1", { data: {"a":[{"X":1},{"Y":2}]}, missingKey: "error" }],
  ["{{range .a}}{{.X}}{{end}}", "EXEC: template: :1:14: executing \"\" at <.X>: can't evaluate field X in type interface {} || ", { data: {"a":["s"]} }],
  ["{{range $v := .a}}{{$v.X}}{{end}}", "EXEC: template: :1:22: executing \"\" at <$v.X>: can't evaluate field X in type interface {} || ", { data: {"a":["s"]} }],
  ["{{with .a}}{{.X}}{{end}}", "EXEC: template: :1:13: executing \"\" at <.X>: can't evaluate field X in type string || ", { data: {"a":"s"} }],
  ["{{define \"r\"}}{{if .}}{{index . 0}}{{template \"r\" (slice . 1)}}{{end}}{{end}}{{template \"r\" .a}}", "123", { data: {"a":[1,2,3]} }],
  ["a\n  {{- if .t -}}\n   b\n  {{- end -}}\n c", "abc", { data: {"t":true} }],
  ["{{.x}}\n{{.y.z}}\n   {{.w.v.u}}", "EXEC: template: :3:7: executing \"\" at <.w.v.u>: map has no entry for key \"w\" || 1\n2\n   ", { data: {"x":1,"y":{"z":2}}, missingKey: "error" }],
  ["日本 {{.x}} {{.y.z}}", "EXEC: template: :1:18: executing \"\" at <.y.z>: map has no entry for key \"y\" || 日本 1 ", { data: {"x":1}, missingKey: "error" }],
  ["日本 {{.x.z}}", "EXEC: template: :1:11: executing \"\" at <.x.z>: can't evaluate field z in type interface {} || 日本 ", { data: {"x":1} }],
  ["{{ .x | printf \"%s\" | len | printf \"%d\" }}", "6", { data: {"x":"héllo"} }],
  ["{{if and (eq .a 1) (ne .b \"x\") (not .c)}}ok{{end}}", "ok", { data: {"a":1,"b":"y","c":false} }],
  ["{{range .m}}{{.}},{{end}}", "0,4,1,2,3,", { data: {"m":{"b":2,"a":1,"B":0,"é":3,"_":4}} }],
  ["{{.m}}", "map[a:map[c:map[]] b:[1 map[x:<nil>]]]", { data: {"m":{"b":[1,{"x":null}],"a":{"c":{}}}} }],
  ["{{printf \"%v|%+v|%s\" .m .m .m}}", "map[a:true b:[1 s]]|map[a:true b:[1 s]]|map[a:%!s(bool=true) b:[%!s(int64=1) s]]", { data: {"m":{"b":[1,"s"],"a":true}} }],
  ["{{printf \"%#v\" .m}}", "map[string]interface {}{\"a\":true, \"b\":[]interface {}{1, \"s\"}, \"n\":interface {}(nil)}", { data: {"m":{"b":[1,"s"],"a":true,"n":null}} }],
  ["{{printf \"%x|%X|% X|%#x|%# x|%.2x|%8x|%-8x|\" .s .s .s .s .s .s .s .s}}", "68c3a96c6c6f|68C3A96C6C6F|68 C3 A9 6C 6C 6F|0x68c3a96c6c6f|0x68 0xc3 0xa9 0x6c 0x6c 0x6f|68c3|68c3a96c6c6f|68c3a96c6c6f|", { data: {"s":"héllo"} }],
  ["{{printf \"%q|%+q|%#q|%#q|%10q|%-10q|%.2q\" .s .s .s .u .s .s .s}}", "\"a\\\"b\\aé\\u2028\"|\"a\\\"b\\a\\u00e9\\u2028\"|\"a\\\"b\\aé\\u2028\"|\"x`y\"|\"a\\\"b\\aé\\u2028\"|\"a\\\"b\\aé\\u2028\"|\"a\\\"\"", { data: {"s":"a\"b\u0007\u00e9\u2028","u":"x`y"} }],
  ["{{printf \"%s|%10s|%-10s|%.2s|%010s|%v\" .s .s .s .s .s .s}}", "日本語|       日本語|日本語       |日本|0000000日本語|日本語", { data: {"s":"日本語"} }],
  ["{{printf \"%d %s\" .a .a}}", "[1 %!d(string=x) <nil> %!d(float64=1.5) %!d(bool=true)] [%!s(int64=1) x <nil> %!s(float64=1.5) %!s(bool=true)]", { data: {"a":[1,"x",null,1.5,true]} }],
  ["{{printf \"%v %d\" .n .n}}", "<nil> %!d(<nil>)", { data: {"n":null} }],
  ["{{printf \"%6.2v|%.3v|%10v|%-10v|\" 3.14159 \"abcdef\" .a .a}}", "   3.1|abc|[         1         22]|[1          22        ]|", { data: {"a":[1,22]} }],
  ["{{printf \"%t|%v|%5t|%-6t|%q\" true false true false true}}", "true|false| true|false |%!q(bool=true)", { data: {} }],
  ["{{printf \"%s\" .}}", "map[a:map[b:%!s(int64=1)]]", { data: {"a":{"b":1}} }],
  ["{{print .a \"x\" .b .c}}", "1x2s", { data: {"a":1,"b":2,"c":"s"} }],
  ["{{print \"a\" \"b\"}} {{print 1 2}} {{print nil 1}}", "ab 1 2 <nil> 1", { data: {} }],
  ["{{.a.b.c}}", "EXEC: template: :1:4: executing \"\" at <.a.b.c>: nil pointer evaluating interface {}.c || ", { data: {"a":{"b":null}} }],
  ["{{.a.b}}", "EXEC: template: :1:4: executing \"\" at <.a.b>: can't evaluate field b in type interface {} || ", { data: {"a":[1]} }],
  ["{{index .a 0 0}}", "5", { data: {"a":[[5]]} }],
  ["{{index .a \"k\" 1}}", "2", { data: {"a":{"k":[1,2]}} }],
  ["{{index . \"a\"}}", "1", { data: {"a":1} }],
  ["{{$x := .a}}{{$x.b}}", "1", { data: {"a":{"b":1}} }],
  ["{{$x := .a}}{{$x.b}}", "EXEC: template: :1:16: executing \"\" at <$x.b>: can't evaluate field b in type int64 || ", { data: {"a":1} }],
  ["{{$.a.b}}", "EXEC: template: :1:3: executing \"\" at <$.a.b>: can't evaluate field b in type interface {} || ", { data: {"a":"s"} }],
  ["{{len .}}", "2", { data: {"a":1,"b":2} }],
  ["{{len .a}}", "EXEC: template: :1:2: executing \"\" at <len .a>: error calling len: len of nil pointer || ", { data: {"a":null} }],
  ["{{not 0}} {{not 1}} {{not \"\"}} {{not .m}} {{not .e}}", "true false true true true", { data: {"m":{},"e":[]} }],
  ["{{or}}", "EXEC: template: :1:2: executing \"\" at <or>: wrong number of args for or: want at least 1 got 0 || ", { data: {} }],
  ["{{not}}", "EXEC: template: :1:2: executing \"\" at <not>: wrong number of args for not: want 1 got 0 || ", { data: {} }],
  ["{{not 1 2}}", "EXEC: template: :1:2: executing \"\" at <not>: wrong number of args for not: want 1 got 2 || ", { data: {} }],
  ["{{len}}", "EXEC: template: :1:2: executing \"\" at <len>: wrong number of args for len: want 1 got 0 || ", { data: {} }],
  ["{{index}}", "EXEC: template: :1:2: executing \"\" at <index>: wrong number of args for index: want at least 1 got 0 || ", { data: {} }],
  ["{{printf}}", "EXEC: template: :1:2: executing \"\" at <printf>: wrong number of args for printf: want at least 1 got 0 || ", { data: {} }],
  ["{{printf 1}}", "EXEC: template: :1:9: executing \"\" at <1>: expected string; found 1 || ", { data: {} }],
  ["{{html}}|{{urlquery}}|{{js}}", "||", { data: {} }],
  ["{{eq .a .b}}", "EXEC: template: :1:2: executing \"\" at <eq .a .b>: error calling eq: non-comparable type [%!s(int64=1)]: []interface {} || ", { data: {"a":[1],"b":[1]} }],
  ["{{eq .a .b}}", "EXEC: template: :1:2: executing \"\" at <eq .a .b>: error calling eq: non-comparable type map[x:%!s(int64=1)]: map[string]interface {} || ", { data: {"a":{"x":1},"b":{"x":1}} }],
  ["{{eq .a 1}}", "EXEC: template: :1:2: executing \"\" at <eq .a 1>: error calling eq: incompatible types for comparison || ", { data: {"a":{"x":1}} }],
  ["{{lt .a .b}} {{lt .b .a}} {{le \"é\" \"z\"}} {{lt \"Z\" \"a\"}}", "true false false true", { data: {"a":"abc","b":"abd"} }],
  ["{{lt 1 2.5}}", "EXEC: template: :1:2: executing \"\" at <lt 1 2.5>: error calling lt: incompatible types for comparison || ", { data: {} }],
  ["{{lt nil 1}}", "EXEC: template: :1:2: executing \"\" at <lt nil 1>: error calling lt: invalid type for comparison || ", { data: {} }],
  ["{{eq nil nil}}", "true", { data: {} }],
  ["{{ge .a .a}}", "EXEC: template: :1:2: executing \"\" at <ge .a .a>: error calling ge: invalid type for comparison || ", { data: {"a":[1]} }],
  ["{{slice .a 1 2 3}}", "[2]", { data: {"a":[1,2,3,4]} }],
  ["{{slice .s 1 2 3}}", "EXEC: template: :1:2: executing \"\" at <slice .s 1 2 3>: error calling slice: cannot 3-index slice a string || ", { data: {"s":"abcd"} }],
  ["{{slice .a 1 5}}", "EXEC: template: :1:2: executing \"\" at <slice .a 1 5>: error calling slice: index out of range: 5 || ", { data: {"a":[1,2,3,4]} }],
  ["{{slice .a}}", "[1 2]", { data: {"a":[1,2]} }],
  ["{{slice .s 2}}", "�本", { data: {"s":"日本"} }],
  ["{{.a | len | printf \"%T %v\"}}", "int %!v(MISSING)", { data: {"a":[1,2]} }],
  ["{{range $i, $_ := .a}}{{printf \"%T\" $i}}{{end}}", "int", { data: {"a":[1]} }],
  ["{{range $k, $v := .m}}{{printf \"%T=%T \" $k $v}}{{end}}", "string=int64 string=string ", { data: {"m":{"a":1,"b":"x"}} }],
  ["{{template \"x\" .}}{{define \"x\"}}X{{.a}}{{end}}", "X1", { data: {"a":1} }],
  ["{{define \"x\"}}1{{end}}{{define \"x\"}}2{{end}}", "PARSE: template: :1: template: multiple definition of template \"x\"", { data: {} }],
  ["{{block \"b\" .}}{{.a}}{{end}}-{{template \"b\" .}}", "7-7", { data: {"a":7} }],
  ["{{with $x := .a}}{{$x}}{{else}}none {{$x}}{{end}}", "none 0", { data: {"a":0} }],
  ["{{if $x := .a}}{{$x}}{{end}}", "5", { data: {"a":5} }],
  ["{{range $x := .a}}{{end}}{{$x}}", "PARSE: template: :1: undefined variable \"$x\"", { data: {"a":[1]} }],
  ["{{$x := 1}}{{range .a}}{{$x = .}}{{end}}{{$x}}", "3", { data: {"a":[1,2,3]} }],
  ["{{$x = 1}}", "EXEC: template: :1:7: executing \"\" at <1>: undefined variable: $x || ", { data: {} }],
  ["{{range .a}}{{else}}{{break}}{{end}}", "PARSE: template: :1: {{break}} outside {{range}}", { data: {} }],
  ["{{continue}}", "PARSE: template: :1: {{continue}} outside {{range}}", { data: {} }],
  ["{{if 1}}{{else if 0}}{{else if}}{{end}}", "PARSE: template: :1: missing value for if", { data: {} }],
  ["{{else if}}", "PARSE: template: :1: unexpected {{else}}", { data: {} }],
  ["{{range .a}}x{{else if .b}}y{{end}}", "PARSE: template: :1: unexpected <if> in input", { data: {} }],
  ["{{/*x*/ 1}}", "PARSE: template: :1: comment ends before closing delimiter", { data: {} }],
  ["{{1 /*x*/}}", "PARSE: template: :1: unexpected \"/\" in operand", { data: {} }],
  ["{{-1}} {{- -1}} {{ -1 -}} {{3 -}}x", "-1-1 -13x", { data: {} }],
  ["a {{- }}", "PARSE: template: :1: missing value for command", { data: {} }],
  ["{{ - 1}}", "PARSE: template: :1: illegal number syntax: \"-\"", { data: {} }],
  ["{{.a-}}", "PARSE: template: :1: bad character U+002D '-'", { data: {"a":1} }],
  ["{{.a -}}|", "1|", { data: {"a":1} }],
  ["{{$-}}", "PARSE: template: :1: bad character U+002D '-'", { data: {} }],
  ["{{\"\\z\"}}", "PARSE: template: :1: invalid syntax", { data: {} }],
  ["{{'\\''}}{{'\"'}}{{\"'\"}}", "3934'", { data: {} }],
  ["{{'\\\"'}}", "PARSE: template: :1: invalid syntax", { data: {} }],
  ["{{\"\\xff\"}}", "�", { data: {} }],
  ["{{0x}}", "PARSE: template: :1: illegal number syntax: \"0x\"", { data: {} }],
  ["{{1e}}", "PARSE: template: :1: illegal number syntax: \"1e\"", { data: {} }],
  ["{{1.2.3}}", "PARSE: template: :1: unexpected \".3\" in operand", { data: {} }],
  ["{{0x1.8p1}}", "3", { data: {} }],
  ["{{.a.}}", "PARSE: template: :1: unexpected <.> in operand", { data: {} }],
  ["{{. a}}", "PARSE: template: :1: function \"a\" not defined", { data: {} }],
  ["{{a.b}}", "PARSE: template: :1: function \"a\" not defined", { data: {} }],
  ["{{$.}}", "PARSE: template: :1: unexpected <.> in operand", { data: {} }],
  ["{{@}}", "PARSE: template: :1: unexpected \"@\" in command", { data: {} }],
  ["{{#}}", "PARSE: template: :1: unexpected \"#\" in command", { data: {} }],
  ["{{.a | .b}}", "EXEC: template: :1:7: executing \"\" at <.b>: b is not a method but has arguments || ", { data: {"a":1,"b":2} }],
  ["{{(1)}} {{(.a).b}} {{((.a))}}", "1 2 map[b:2]", { data: {"a":{"b":2}} }],
  ["{{(1).x}}", "EXEC: template: :1:3: executing \"\" at <1>: can't evaluate field x in type int || ", { data: {} }],
  ["{{(nil).x}}", "EXEC: template: :1:3: executing \"\" at <nil>: nil is not a command || ", { data: {} }],
  ["{{nil.x}}", "PARSE: template: :1: unexpected . after term \"nil\"", { data: {} }],
  ["{{true.x}}", "PARSE: template: :1: unexpected . after term \"true\"", { data: {} }],
  ["{{.a (1)}}", "EXEC: template: :1:2: executing \"\" at <.a>: a is not a method but has arguments || ", { data: {"a":1} }],
  ["{{\n.a\n}}", "1", { data: {"a":1} }],
  ["{{.a\n", "PARSE: template: :2: unclosed action started at :1", { data: {"a":1} }],
  ["x\n\n{{.a", "PARSE: template: :3: unclosed action", { data: {} }],
  ["{{\"a\nb\"}}", "PARSE: template: :1: unterminated quoted string", { data: {} }],
  ["{{range .a}}\n{{.}}\n{{end}}", "\n1\n\n2\n", { data: {"a":[1,2]} }],
  ["{{if}}", "PARSE: template: :1: missing value for if", { data: {} }],
  ["{{with}}{{end}}", "PARSE: template: :1: missing value for with", { data: {} }],
  ["{{template}}", "PARSE: template: :1: unexpected \"}}\" in template clause", { data: {} }],
  ["{{template 1}}", "PARSE: template: :1: unexpected \"1\" in template clause", { data: {} }],
  ["{{define}}{{end}}", "PARSE: template: :1: unexpected \"}}\" in define clause", { data: {} }],
  ["{{define \"a\" 1}}{{end}}", "PARSE: template: :1: unexpected \"1\" in define clause", { data: {} }],
  ["{{define \"a\"}}", "PARSE: template: :1: unexpected EOF", { data: {} }],
  ["{{end 1}}", "PARSE: template: :1: unexpected \"1\" in end", { data: {} }],
  ["{{else 1}}", "PARSE: template: :1: unexpected \"1\" in else", { data: {} }],
  ["{{if 1}}{{else}}{{end 1}}", "PARSE: template: :1: unexpected \"1\" in end", { data: {} }],
  ["{{ $x := 1 }}{{ $x }}", "1", { data: {} }],
  ["{{$x:=1}}{{$x}}", "1", { data: {} }],
  ["{{$x :=}}", "PARSE: template: :1: missing value for command", { data: {} }],
  ["{{$x := 1 2}}", "EXEC: template: :1:8: executing \"\" at <1>: can't give argument to non-function 1 || ", { data: {} }],
  ["{{upper .s}}|{{lower .s}}|{{title .t}}", "ßİﬁǄAÀ|ßiﬁǆaà|ǅx ßa ﬁx", { data: { s: "ßİﬁǆaÀ", t: "ǆx ßa ﬁx" } }],
  ["{{printf \"%[2]s-%[1]s %[3]*[4]d|%*d\" \"a\" \"b\" 4 7 3 1}}", "b-a    7|  1"],
];

function run(template: string, data: unknown, missingKey?: MissingKey): string {
  let tmpl;
  try {
    tmpl = parseTemplate(template, { funcs: DOCKER_FUNCS });
  } catch (e) {
    if (e instanceof TemplateError) return `PARSE: ${e.message}`;
    throw e;
  }
  try {
    return tmpl.execute(data, { missingKey });
  } catch (e) {
    if (e instanceof TemplateError) return `EXEC: ${e.message} || ${e.output}`;
    throw e;
  }
}

describe("Go's text/template, case by case as Go 1.19 prints it", () => {
  it(`${CASES.length} templates print exactly what Go printed`, () => {
    const wrong = CASES.map(([t, want, o]) => ({ t, want, got: run(t, o && "data" in o ? o.data : D, o?.missingKey) })).filter((c) => c.got !== c.want);
    expect(wrong).toEqual([]);
  });
});

describe("values and numbers", () => {
  it("prints JS integers as Go's int64 and other numbers as float64's %v", () => {
    const t = parseDockerTemplate("{{.a}} {{.b}} {{.c}} {{.d}} {{.e}} {{printf \"%T %T %T %T\" .a .b .d .e}}");
    expect(t.execute({ a: 7316, b: 1.5, c: 1e6 + 0.5, d: 2n ** 62n, e: 123456789.5 })).toBe("7316 1.5 1.0000005e+06 4611686018427387904 1.234567895e+08 int64 float64 int64 float64");
    expect(t.execute({ a: goInt(3), b: goFloat(2), c: new GoBasic("json.Number", "string", "12"), d: new GoBasic("uint8", "uint", 7), e: 0 })).toBe("3 2 12 7 0 int float64 uint8 int64");
  });
  it("keeps Go's types for comparisons: an int64 field and an int literal compare, a float does not", () => {
    const t = parseDockerTemplate("{{eq .Size 7316}} {{gt .Size 1000}}");
    expect(t.execute({ Size: 7316 })).toBe("true true");
    expect(() => parseDockerTemplate("{{gt .Size 1.5}}").execute({ Size: 7316 })).toThrow("error calling gt: incompatible types for comparison");
    expect(() => parseDockerTemplate("{{eq .Size 7316}}").execute({ Size: new GoBasic("json.Number", "string", "7316") })).toThrow("incompatible types for comparison");
  });
  it("names Go types", () => {
    expect([1, 1.5, "s", true, null, [1], { a: 1 }, new GoSlice("[]string", []), new GoNil("map", "map[string]string")].map(goTypeName)).toEqual([
      "int64", "float64", "string", "bool", "<nil>", "[]interface {}", "map[string]interface {}", "[]string", "map[string]string",
    ]);
  });
  it("formats like fmt.Sprintf, half to even on the exact binary value", () => {
    expect(goSprintf("%.1f %.0f %.2f %6.2f|%-8.3e|%g %v", [2.25, 2.5, 1.005, Math.PI, 1234.5, 1e-7, 100000])).toBe("2.2 2 1.00   3.14|1.234e+03|1e-07 100000");
    expect(goSprintf("%d %s %z", [goInt(1), 2])).toBe("1 %!s(int64=2) %!z(MISSING)");
    expect(goSprintf("%[2]s-%[1]s %[3]*[4]d|%*d", ["a", "b", goInt(4), goInt(7), goInt(3), goInt(1)])).toBe("b-a    7|  1");
    expect(goSprintf("%[2]s-%[1]s %*d", ["a", "b", goInt(4), goInt(7)])).toBe("b-a %!(BADWIDTH)4");
  });
  it("encodes JSON as Docker's json function does: maps sorted, no HTML escaping, a struct's JSON in its own order", () => {
    expect(goJSON({ b: 1, a: "<&>", c: [null, 1.5, "\u2028"] })).toBe('{"a":"<&>","b":1,"c":[null,1.5,"\\u2028"]}');
    expect(goJSON(new GoStruct("T", { B: 1, A: 2 }))).toBe('{"B":1,"A":2}');
    expect(goJSON(new GoStruct("T", {}, { json: { z: 1, a: { y: 2, b: 3 } } }))).toBe('{"z":1,"a":{"y":2,"b":3}}');
    expect(goJSON(new GoMap("map[string]string", { z: "1", a: "2" }))).toBe('{"a":"2","z":"1"}');
    expect(goJSON(Number.NaN)).toBe("");
  });
  it("reads own properties, non-enumerable ones too (aliases that printing and json leave out)", () => {
    const v = { Id: "x" };
    Object.defineProperty(v, "ID", { value: "x", enumerable: false });
    expect(parseDockerTemplate("{{.ID}} {{.}} {{json .}}").execute(v)).toBe("x map[Id:x] {\"Id\":\"x\"}");
  });
  it("calls JS functions as methods", () => {
    const row = { Name: (suffix?: string) => `n${suffix ?? ""}` };
    expect(parseDockerTemplate("{{.Name}} {{.Name \"!\"}}").execute(row)).toBe("n n!");
  });
});

describe("errors say where", () => {
  it("parse errors carry Go's message, the line and the column", () => {
    try {
      parseDockerTemplate("line one\n  {{.Foo | nofunc}}");
      expect.unreachable();
    } catch (e) {
      const err = e as TemplateError;
      expect(err).toBeInstanceOf(TemplateError);
      expect(err.message).toBe('template: :2: function "nofunc" not defined');
      expect([err.phase, err.line, err.column]).toEqual(["parse", 2, 12]);
      expect(err.pointer()).toBe("  {{.Foo | nofunc}}\n           ^");
    }
  });
  it("execution errors name the position and the node as Go does, and keep the output so far", () => {
    try {
      parseDockerTemplate("ok {{.A}}\n日本 {{.B.C}}").execute({ A: 1, B: {} }, { missingKey: "error" });
      expect.unreachable();
    } catch (e) {
      const err = e as TemplateError;
      expect(err.message).toBe('template: :2:11: executing "" at <.B.C>: map has no entry for key "C"');
      expect([err.phase, err.line, err.column, err.output]).toEqual(["exec", 2, 8, "ok 1\n日本 "]);
    }
  });
  it("a missing field of a struct is an error, of a map <no value>", () => {
    expect(() => parseDockerTemplate("{{.Nope}}").execute(dockerRow(ROW_TYPES.image, { ID: "x" }))).toThrow(
      'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext',
    );
    expect(parseDockerTemplate("{{.Nope}}").execute({ ID: "x" })).toBe("<no value>");
  });
});

describe("Docker's list formats", () => {
  const rows = [
    dockerRow(ROW_TYPES.image, { ID: "38e7bc2b36be", Repository: "lab/busybox", Tag: "v2", Size: "2.06MB", Digest: "<none>" }),
    dockerRow(ROW_TYPES.image, { ID: "a0e5c70bd239", Repository: "lab/rich", Tag: "latest", Size: "2.06MB", Digest: "<none>" }),
  ];
  it("knows a table format and its header from per-field header names", () => {
    const f = parseDockerFormat("table {{.Repository}}\\t{{.Tag | upper}}\\t{{pad .ID 1 1}}\\t{{.Nope}}");
    expect(f.isTable).toBe(true);
    expect(f.text).toBe("{{.Repository}}\t{{.Tag | upper}}\t{{pad .ID 1 1}}\t{{.Nope}}");
    expect(f.header(IMAGE_HEADERS)).toBe("REPOSITORY\tTAG\t IMAGE ID \t<no value>");
    expect(parseDockerFormat("{{.ID}}").isTable).toBe(false);
  });
  it("renders rows, and tables through Go's tabwriter", () => {
    expect(parseDockerFormat("{{.Repository}}:{{.Tag}}").render(rows, IMAGE_HEADERS)).toBe("lab/busybox:v2\nlab/rich:latest\n");
    expect(parseDockerFormat("table {{.Repository}}\\t{{.Tag}}\\t{{.Size}}").render(rows, IMAGE_HEADERS)).toBe(
      "REPOSITORY    TAG       SIZE\nlab/busybox   v2        2.06MB\nlab/rich      latest    2.06MB\n",
    );
    expect(parseDockerFormat("table {{.Tag}} {{json .}}").header(IMAGE_HEADERS)).toBe("TAG ");
    expect(parseDockerFormat("{{json .}}").render(rows.slice(0, 1), IMAGE_HEADERS)).toBe(
      '{"Digest":"\\u003cnone\\u003e","ID":"38e7bc2b36be","Repository":"lab/busybox","Size":"2.06MB","Tag":"v2"}\n',
    );
    expect(HISTORY_HEADERS.CreatedBy).toBe("CREATED BY");
  });
  it("tabwriter: column blocks of consecutive lines, widths in runes, minwidth 10, padding 3 (as Go's)", () => {
    expect(tabwrite("aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n")).toBe("aaaa      bbb       d\naa        b         dd\na         \naa        cccc      eee\n");
    expect(tabwrite("A\tB\nlonger cell here\tx\n\nno tabs\nq\tw\n")).toBe("A                  B\nlonger cell here   x\n\nno tabs\nq         w\n");
    expect(tabwrite("日本語\tx\nab\ty\n")).toBe("日本語       x\nab        y\n");
    expect(tabwrite("a\tb\tc")).toBe("a         b         c");
  });
  it("throws parse errors Docker prints after 'template parsing error: '", () => {
    expect(() => parseDockerFormat("{{.Tag")).toThrow("template: :1: unclosed action");
  });
});

describe("Go-typed values from JSON", () => {
  const json = {
    Id: "sha256:abc", RepoTags: ["a:1"], RepoDigests: [], Size: 2063453,
    Config: { Env: ["A=1"], Cmd: ["sh"], Entrypoint: null, Labels: null, Volumes: null, ExposedPorts: { "80/tcp": {} } },
    GraphDriver: { Data: null, Name: "vfs" }, RootFS: { Type: "layers", Layers: ["sha256:1"] }, Metadata: { LastTagTime: "2026-12-02T06:21:38.02416133Z" },
  };
  const typed = goTyped(json, "types.ImageInspect");
  it("prints nil slices and maps as Go does, structs as {…}, times as time.Time", () => {
    const t = parseDockerTemplate("{{.ID}} {{.Config.Entrypoint}} {{.Config.Labels}} {{.Config.Healthcheck}} {{.Config.ExposedPorts}} {{.RootFS}} {{.Metadata}} {{index .Config.Labels \"x\"}}|{{.Config.Labels.x}}");
    expect(t.execute(typed)).toBe("sha256:abc [] map[] <nil> map[80/tcp:{}] {layers [sha256:1] } {2026-12-02 06:21:38.02416133 +0000 UTC} |<no value>");
    expect(parseDockerTemplate("{{json .Config.Entrypoint}} {{json .Config.Labels}} {{printf \"%T %T\" .Config .Config.Cmd}}").execute(typed)).toBe("null null *container.Config strslice.StrSlice");
    expect(parseDockerTemplate("{{json .RootFS}}").execute(typed)).toBe('{"Type":"layers","Layers":["sha256:1"]}');
  });
  it("Go's durations and times", () => {
    expect([0, 1, 1500, 1500000, 1e8, 3.5e9, 3723e9, 30e9, -90e9, 936e11].map(goDuration)).toEqual(["0s", "1ns", "1.5µs", "1.5ms", "100ms", "3.5s", "1h2m3s", "30s", "-1m30s", "26h0m0s"]);
    expect(parseDockerTemplate("{{.T}}").execute(goTyped({ T: "2025-06-01T12:00:00+02:00" }, "x", { x: { struct: [["T", "time.Time"]] } }))).toBe("2025-06-01 12:00:00 +0200 +0200");
  });
  it("dockerInspect runs typed first, then the raw JSON with missingkey=error, as docker inspect does", () => {
    const el = [{ typed, raw: json }];
    expect(dockerInspect("{{.ID}}", el)).toEqual({ output: "sha256:abc\n", errors: [], status: 0 });
    expect(dockerInspect("{{.Id}} {{.Size}}", el)).toEqual({ output: "sha256:abc 2063453\n", errors: [], status: 0 });
    expect(dockerInspect("{{.ID}} {{.Id}}", el).errors).toEqual(['template parsing error: template: :1:2: executing "" at <.ID>: map has no entry for key "ID"']);
    expect(dockerInspect("{{.Foo}}", el)).toEqual({ output: "\n", errors: ['template parsing error: template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"'], status: 1 });
    expect(dockerInspect("{{.Foo", el)).toEqual({ output: "", errors: ["template parsing error: template: :1: unclosed action"], status: 64 });
    expect(dockerInspect("{{.Id}} {{gt .Size 1}}", el).errors[0]).toContain("error calling gt: incompatible types for comparison");
  });
});

describe("the engine runs in the page", () => {
  it("imports nothing and uses no DOM or Node API", () => {
    const src = readFileSync(new URL("../../src/cli/template.ts", import.meta.url), "utf8");
    expect(src).not.toMatch(/^\s*import\s/m);
    expect(src).not.toMatch(/\b(document|window|process|require|Buffer|globalThis)\b\s*[.([]/);
  });
});
