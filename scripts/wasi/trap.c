/* trap: reaches `unreachable` (a wasm trap), for the runtime's bad-input tests. */
int main(void) { __builtin_trap(); }
