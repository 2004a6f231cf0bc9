#include "testutil.h"
Suite *suite_entry(void) { Suite *s = suite_create("entry"); return s; }
