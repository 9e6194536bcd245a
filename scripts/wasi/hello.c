/* hello: the lab's smallest WASI program. `hello [--exit N] [WORDS...]` */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  int code = 0;
  printf("Hello from WebAssembly!");
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc) {
      code = atoi(argv[++i]);
      continue;
    }
    printf(" %s", argv[i]);
  }
  printf("\n");
  const char *who = getenv("GREETING");
  if (who) printf("GREETING=%s\n", who);
  return code;
}
