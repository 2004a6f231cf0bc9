#include "testutil.h"
Suite *suite_ledger(void) { Suite *s = suite_create("ledger"); return s; }
