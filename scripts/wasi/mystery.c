/* mystery: imports a function no WASI runtime provides (env::mystery). */
__attribute__((import_module("env"), import_name("mystery"))) int mystery(void);
int main(void) { return mystery(); }
