/*
 * fuzz_record: a token record as the store reads it back (rec_decode,
 * rec_field, lib/record.c), and what reads a record's fields — its
 * bindings, scopes and entity in policy.c, the token object of every
 * dialect, introspection's claims.  A damaged record must be refused or
 * read, never read past; one that decodes encodes to a form that decodes
 * and encodes the same.
 */
#include "fuzz.h"
#include "record.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

/* Everything that writes or weighs a record. */
static void
use(const struct tok_rec *t)
{
	static const struct dialect *const ds[] = { &dialect_native,
	    &dialect_timbal, &dialect_deepset, &dialect_astronomer,
	    &dialect_turso };
	struct tok_rec	 caller;
	struct grant_set gs;
	struct buf	 b = BUF_INIT, s = BUF_INIT;
	struct jsonw	 w;
	size_t		 i;

	jw_init(&w, &b);
	jw_arr_open(&w, NULL);
	for (i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		jw_obj_open(&w, NULL);
		ds[i]->members(&w, t, FUZZ_NOW);
		jw_obj_close(&w);
	}
	jw_obj_open(&w, NULL);
	tokens_introspection_json(&w, t);
	jw_obj_close(&w);
	jw_arr_close(&w);
	FUZZ_ASSERT(w.depth == 0);

	(void)policy_state(t, FUZZ_NOW);
	(void)policy_org_role(t);
	(void)policy_holds(t, SCOPE_TOKENS_READ);
	(void)policy_allows_at(t, policy_entity_of(t), SCOPE_TOKENS_CREATE);
	policy_grants(t, &gs);
	policy_scopes_at(&gs, "workspace:docs", &s);
	policy_grants_free(&gs);
	(void)resolve_bindings(buf_cstr(&t->bindings), policy_entity_of(t),
	    &s);
	for (i = 0; i < CALLER__MAX; i++) {
		fuzz_caller(&caller, (unsigned)i);
		(void)policy_sees(&caller, t, SCOPE_TOKENS_READ);
		(void)policy_covers(&caller, t);
		(void)policy_bounds(&caller, t);
		(void)policy_covers(t, &caller);
		(void)policy_fence_has(t, caller.id);
		tok_rec_free(&caller);
	}
	buf_free(&b);
	buf_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tok_rec	 r;
	struct buf	 a = BUF_INIT, b = BUF_INIT;
	const unsigned char *v;
	size_t		 n;
	int		 tag;

	/* What the index callbacks read without decoding. */
	for (tag = 0; tag <= T__MAX; tag++)
		if ((v = rec_field(data, size, tag, &n)) != NULL)
			FUZZ_ASSERT(v >= data && n <= size &&
			    (size_t)(v - data) <= size - n);

	tok_rec_init(&r);
	if (rec_decode(data, size, &r) == 0) {
		use(&r);
		rec_encode(&r, &a);
		FUZZ_ASSERT(rec_decode(a.ptr, a.len, &r) == 0);
		rec_encode(&r, &b);
		FUZZ_ASSERT(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
	}
	tok_rec_free(&r);
	buf_free(&a);
	buf_free(&b);
	return 0;
}
