#include "testutil.h"
Suite *suite_crash(void) { Suite *s = suite_create("crash"); return s; }
