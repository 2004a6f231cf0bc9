#include "testutil.h"
Suite *suite_keys(void) { Suite *s = suite_create("keys"); return s; }
