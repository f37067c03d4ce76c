/* keyhole: the library's one public header; each module's header says what it owns. */
#ifndef KEYHOLE_H
#define KEYHOLE_H

#include "buf.h"
#include "json.h"
#include "token.h"
#include "store.h"
#include "policy.h"
#include "request.h"
#include "problem.h"
#include "tokens.h"
#include "api.h"
#include "claims.h"
#include "jwt.h"
#include "route.h"
#include "dialect.h"

#endif
