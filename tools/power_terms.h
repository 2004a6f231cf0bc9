/* power_terms.h — the power contracts the bench and the scale bench write:
 * RU-GRID sells kWh to MN-GRID in RUB, metered by MN-GRID on SEL-1. */
#ifndef CORRIDOR_TOOLS_POWER_TERMS_H
#define CORRIDOR_TOOLS_POWER_TERMS_H

#include <stdio.h>

#include "corridor/corridor.h"

static inline void power_parties(struct corridor_contract_terms *t)
{
	snprintf(t->seller, sizeof t->seller, "RU-GRID");
	snprintf(t->buyer, sizeof t->buyer, "MN-GRID");
	snprintf(t->delivery_point, sizeof t->delivery_point, "Selendum 220 kV");
	snprintf(t->unit, sizeof t->unit, "kWh");
	snprintf(t->currency, sizeof t->currency, "RUB");
	snprintf(t->settlement_currency, sizeof t->settlement_currency, "RUB");
	snprintf(t->metering_party, sizeof t->metering_party, "MN-GRID");
	snprintf(t->billing_meter, sizeof t->billing_meter, "SEL-1");
}

#endif
