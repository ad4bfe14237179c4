/*
 * Releases at scale: per-thread workspaces, the verified-token cache and
 * batch decisions (skr.h, "Releases at scale").
 *
 * The cache is a table of sets of CACHE_WAYS entries, indexed by a keyed
 * XXH3-64 hash of the whole token. Entries live in a pool allocated with
 * the cache, in slots of entry_bytes, and are read-only from the moment
 * they are published until their slot is reused.
 *
 * Lookups take no lock. A reader announces itself by incrementing one of
 * the two counters (one per epoch parity) of its workspace's stripe. It
 * then confirms that the epoch did not change meanwhile, so every
 * announced reader belongs to the current epoch or the one before. The
 * writer, under the cache's lock, advances the epoch from E to E + 1 only
 * when no reader of epoch E - 1 remains (the counters of that parity are
 * all zero). An entry removed during epoch E can be reached only by readers
 * of epoch E or earlier, so its slot is reused once the epoch is E + 2.
 * Every atomic operation of that argument is sequentially consistent.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <xxhash.h>

#include "claims.h"
#include "token.h"

#define CACHE_WAYS 4u
#define CACHE_STRIPES 64u
#define CACHE_LINE 64u
#define CACHE_MAX_ENTRIES (1u << 24)
#define CACHE_MIN_ENTRY_BYTES 1024u
#define CACHE_MAX_ENTRY_BYTES (1u << 20)

/* Claims index room a workspace reserves. The published MAA payloads that
 * the tests read are 1.6 to 3.5 KB. */
#define WORKSPACE_PAYLOAD_RESERVE 8192u
#define WORKSPACE_HEADER_RESERVE 512u

/* A verified token. Everything but referenced, retired_at and next is
 * written before the entry is published and never after. */
typedef struct cache_entry {
	uint64_t hash;
	const char *token;          /* copy of the token, after the entry */
	size_t token_len;
	skr_claims claims;          /* copy of its claims index, after the token */
	size_t token_bytes;         /* the limits it was verified under */
	uint32_t claims_depth;
	uint32_t claims_members;
	uint32_t alg;
	const char *issuer;         /* in claims */
	size_t issuer_len;
	const char *authority;      /* in the trust store */
	size_t authority_len;
	const char *kid;            /* in the trust store, or NULL */
	size_t kid_len;
	_Atomic uint8_t referenced; /* set by hits, cleared by the clock hand */
	uint64_t retired_at;        /* the epoch it was removed in, under the lock */
	struct cache_entry *next;   /* free or retired list, under the lock */
} cache_entry;

#define ENTRY_HEADER (((sizeof(cache_entry)) + 15u) & ~(size_t)15u)

typedef struct cache_set {
	_Alignas(CACHE_LINE) _Atomic(cache_entry *) way[CACHE_WAYS];
	_Atomic uint32_t tag[CACHE_WAYS]; /* high half of the hash, a hint only */
	uint8_t hand;                     /* clock hand, under the lock */
} cache_set;

typedef struct cache_stripe {
	_Alignas(CACHE_LINE) _Atomic uint64_t readers[2];
} cache_stripe;

struct skr_cache {
	cache_stripe stripes[CACHE_STRIPES];
	_Alignas(CACHE_LINE) _Atomic uint64_t epoch;
	_Alignas(CACHE_LINE) uint64_t trust_id;
	uint64_t seed;
	cache_set *sets;
	uint32_t set_mask;
	uint32_t capacity;
	unsigned char *pool;
	size_t entry_bytes;
	uint32_t pool_count;
	pthread_mutex_t lock;
	cache_entry *free_list;     /* under the lock */
	cache_entry *retired;       /* under the lock */
	_Atomic uint64_t inserts;
	_Atomic uint64_t evictions;
	_Atomic uint64_t too_large;
	_Atomic uint64_t busy;
	_Atomic uint32_t live;
};

struct skr_workspace {
	skr_limits limits;
	uint8_t *parts;             /* decoded token parts */
	size_t parts_cap;
	skr_claims *header;
	skr_claims *payload;
	char *issuer;               /* a cached token's issuer, copied out */
	size_t issuer_cap;
	uint32_t stripe;
	uint64_t hits;
	uint64_t misses;
};

/* ---- workspaces ---- */

static _Atomic uint32_t next_stripe;

skr_status skr_workspace_new(const skr_limits *limits, skr_workspace **out)
{
	if (out == NULL)
		return SKR_E_USAGE;
	*out = NULL;
	skr_workspace *ws = calloc(1, sizeof *ws);
	if (ws == NULL)
		return SKR_E_NOMEM;
	if (limits != NULL)
		ws->limits = *limits;
	else
		skr_limits_init(&ws->limits);

	/* Decoded base64url is never longer than its text, so the three parts
	 * of a token within the limit fit in token_bytes. */
	ws->parts_cap = ws->limits.token_bytes;
	ws->issuer_cap = ws->limits.token_bytes + 1;
	ws->parts = malloc(ws->parts_cap > 0 ? ws->parts_cap : 1);
	ws->issuer = malloc(ws->issuer_cap);
	ws->header = skr_claims_new_reusable(WORKSPACE_HEADER_RESERVE);
	ws->payload = skr_claims_new_reusable(WORKSPACE_PAYLOAD_RESERVE);
	if (ws->parts == NULL || ws->issuer == NULL || ws->header == NULL || ws->payload == NULL) {
		skr_workspace_free(ws);
		return SKR_E_NOMEM;
	}
	/* Consecutive workspaces get different stripes, so that up to
	 * CACHE_STRIPES threads never write the same counter. */
	ws->stripe = atomic_fetch_add(&next_stripe, 1) % CACHE_STRIPES;
	*out = ws;
	return SKR_OK;
}

void skr_workspace_free(skr_workspace *ws)
{
	if (ws == NULL)
		return;
	free(ws->parts);
	free(ws->issuer);
	skr_claims_free(ws->header);
	skr_claims_free(ws->payload);
	free(ws);
}

void skr_workspace_stats_get(const skr_workspace *ws, skr_workspace_stats *stats)
{
	if (stats == NULL)
		return;
	stats->hits = ws != NULL ? ws->hits : 0;
	stats->misses = ws != NULL ? ws->misses : 0;
}

/* ---- cache ---- */

void skr_cache_options_init(skr_cache_options *options)
{
	options->entries = 1024;
	options->entry_bytes = 32u * 1024u;
}

static uint64_t random_seed(const void *salt)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
		/* Without the kernel's generator, the address still differs
		 * between processes where addresses are randomised. The seed only
		 * spreads tokens that a sender chose to collide, because a hit
		 * always compares the whole token. */
		seed = XXH3_64bits(&salt, sizeof salt) ^ (uint64_t)(uintptr_t)&seed;
	}
	return seed;
}

skr_status skr_cache_new(const skr_trust *trust, const skr_cache_options *options,
                         skr_cache **out)
{
	if (out == NULL)
		return SKR_E_USAGE;
	*out = NULL;
	skr_cache_options defaults;
	if (options == NULL) {
		skr_cache_options_init(&defaults);
		options = &defaults;
	}
	if (trust == NULL || options->entries == 0 || options->entries > CACHE_MAX_ENTRIES ||
	    options->entry_bytes < CACHE_MIN_ENTRY_BYTES ||
	    options->entry_bytes > CACHE_MAX_ENTRY_BYTES)
		return SKR_E_USAGE;

	uint32_t sets = 1;
	while ((uint64_t)sets * CACHE_WAYS < options->entries)
		sets *= 2;

	size_t size = (sizeof(skr_cache) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
	skr_cache *cache = aligned_alloc(CACHE_LINE, size);
	if (cache == NULL)
		return SKR_E_NOMEM;
	memset(cache, 0, sizeof *cache);
	for (uint32_t s = 0; s < CACHE_STRIPES; s++) {
		atomic_init(&cache->stripes[s].readers[0], 0);
		atomic_init(&cache->stripes[s].readers[1], 0);
	}
	atomic_init(&cache->epoch, 0);
	cache->trust_id = trust->id;
	cache->seed = random_seed(cache);
	cache->set_mask = sets - 1;
	cache->capacity = sets * CACHE_WAYS;
	cache->entry_bytes = (options->entry_bytes + 15u) & ~(size_t)15u;
	/* Slots beyond the table's capacity hold removed entries until no
	 * reader can reach them. */
	cache->pool_count = cache->capacity + cache->capacity / 4 + CACHE_WAYS;

	size_t set_bytes = (size_t)sets * sizeof(cache_set);
	cache->sets = aligned_alloc(CACHE_LINE, set_bytes);
	cache->pool = calloc(cache->pool_count, cache->entry_bytes);
	if (cache->sets == NULL || cache->pool == NULL || pthread_mutex_init(&cache->lock, NULL) != 0) {
		free(cache->sets);
		free(cache->pool);
		free(cache);
		return SKR_E_NOMEM;
	}
	for (uint32_t s = 0; s < sets; s++) {
		for (uint32_t w = 0; w < CACHE_WAYS; w++) {
			atomic_init(&cache->sets[s].way[w], NULL);
			atomic_init(&cache->sets[s].tag[w], 0);
		}
		cache->sets[s].hand = 0;
	}
	for (uint32_t i = cache->pool_count; i-- > 0;) {
		cache_entry *e = (cache_entry *)(cache->pool + (size_t)i * cache->entry_bytes);
		e->next = cache->free_list;
		cache->free_list = e;
	}
	*out = cache;
	return SKR_OK;
}

void skr_cache_free(skr_cache *cache)
{
	if (cache == NULL)
		return;
	pthread_mutex_destroy(&cache->lock);
	free(cache->sets);
	free(cache->pool);
	free(cache);
}

void skr_cache_stats_get(skr_cache *cache, skr_cache_stats *stats)
{
	if (stats == NULL)
		return;
	memset(stats, 0, sizeof *stats);
	if (cache == NULL)
		return;
	stats->inserts = atomic_load_explicit(&cache->inserts, memory_order_relaxed);
	stats->evictions = atomic_load_explicit(&cache->evictions, memory_order_relaxed);
	stats->too_large = atomic_load_explicit(&cache->too_large, memory_order_relaxed);
	stats->busy = atomic_load_explicit(&cache->busy, memory_order_relaxed);
	stats->entries = atomic_load_explicit(&cache->live, memory_order_relaxed);
	stats->capacity = cache->capacity;
}

static void count(_Atomic uint64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* Advances the epoch while no reader of the epoch before the current one
 * remains (at most twice, which is what an entry removed now needs), then
 * moves the removed entries that no reader can reach to the free list.
 * Called with the lock held. */
static void reclaim(skr_cache *cache)
{
	uint64_t epoch = atomic_load(&cache->epoch);
	for (int step = 0; step < 2; step++) {
		unsigned before = (unsigned)((epoch + 1) & 1);
		uint64_t readers = 0;
		for (uint32_t s = 0; s < CACHE_STRIPES; s++)
			readers += atomic_load(&cache->stripes[s].readers[before]);
		if (readers != 0)
			break;
		epoch++;
		atomic_store(&cache->epoch, epoch);
	}

	cache_entry **link = &cache->retired;
	while (*link != NULL) {
		cache_entry *e = *link;
		if (e->retired_at + 2 <= epoch) {
			*link = e->next;
			e->next = cache->free_list;
			cache->free_list = e;
		} else {
			link = &e->next;
		}
	}
}

static int same_options(const cache_entry *e, const skr_verify_options *options)
{
	return (options->algs & e->alg) != 0 && e->token_bytes == options->limits.token_bytes &&
	       e->claims_depth == options->limits.claims_depth &&
	       e->claims_members == options->limits.claims_members;
}

static int same_token(const cache_entry *e, uint64_t hash, const char *token, size_t len)
{
	return e->hash == hash && e->token_len == len && memcmp(e->token, token, len) == 0;
}

/* Chooses the way of a set that a new entry takes: an empty one, or the
 * first one the clock hand finds unreferenced, clearing the references
 * it passes. Called with the lock held. */
static uint32_t choose_way(cache_set *set)
{
	for (uint32_t w = 0; w < CACHE_WAYS; w++) {
		if (atomic_load_explicit(&set->way[w], memory_order_relaxed) == NULL)
			return w;
	}
	for (uint32_t step = 0; step < 2 * CACHE_WAYS; step++) {
		uint32_t w = set->hand;
		set->hand = (uint8_t)((w + 1) % CACHE_WAYS);
		cache_entry *e = atomic_load_explicit(&set->way[w], memory_order_relaxed);
		if (!atomic_load_explicit(&e->referenced, memory_order_relaxed))
			return w;
		atomic_store_explicit(&e->referenced, 0, memory_order_relaxed);
	}
	return set->hand;
}

/* Adds a verified token, unless the lock is taken, the token is there
 * already, it needs more than a slot, or no slot is free yet. */
static void cache_insert(skr_cache *cache, uint64_t hash, const char *token, size_t len,
                         const skr_verify_options *options, const skr_token *t,
                         const skr_claims *claims)
{
	size_t token_room = (len + 1 + 15u) & ~(size_t)15u;
	size_t need = ENTRY_HEADER + token_room + skr_claims_copy_size(claims);
	if (need > cache->entry_bytes) {
		count(&cache->too_large);
		return;
	}
	if (pthread_mutex_trylock(&cache->lock) != 0) {
		count(&cache->busy);
		return;
	}

	cache_set *set = &cache->sets[hash & cache->set_mask];
	for (uint32_t w = 0; w < CACHE_WAYS; w++) {
		cache_entry *e = atomic_load_explicit(&set->way[w], memory_order_relaxed);
		if (e != NULL && same_token(e, hash, token, len) && same_options(e, options)) {
			pthread_mutex_unlock(&cache->lock);
			return;
		}
	}

	if (cache->free_list == NULL)
		reclaim(cache);
	cache_entry *e = cache->free_list;
	if (e == NULL) {
		pthread_mutex_unlock(&cache->lock);
		count(&cache->busy);
		return;
	}
	cache->free_list = e->next;

	char *data = (char *)e + ENTRY_HEADER;
	memcpy(data, token, len);
	data[len] = '\0';
	e->hash = hash;
	e->token = data;
	e->token_len = len;
	skr_claims_copy(claims, &e->claims, data + token_room);
	e->token_bytes = options->limits.token_bytes;
	e->claims_depth = options->limits.claims_depth;
	e->claims_members = options->limits.claims_members;
	e->alg = t->alg;
	e->issuer = e->claims.iss->value.str;
	e->issuer_len = e->claims.iss->value.len;
	e->authority = t->authority;
	e->authority_len = t->authority_len;
	e->kid = t->kid;
	e->kid_len = t->kid_len;
	/* A new entry counts as referenced, because its token was just used,
	 * so the clock passes it once before it can evict it. */
	atomic_store_explicit(&e->referenced, 1, memory_order_relaxed);
	e->next = NULL;

	uint32_t w = choose_way(set);
	cache_entry *old = atomic_load_explicit(&set->way[w], memory_order_relaxed);
	atomic_store_explicit(&set->tag[w], (uint32_t)(hash >> 32), memory_order_relaxed);
	atomic_store(&set->way[w], e);
	count(&cache->inserts);
	if (old != NULL) {
		old->retired_at = atomic_load(&cache->epoch);
		old->next = cache->retired;
		cache->retired = old;
		count(&cache->evictions);
	} else {
		atomic_fetch_add_explicit(&cache->live, 1, memory_order_relaxed);
	}
	reclaim(cache);
	pthread_mutex_unlock(&cache->lock);
}

/* ---- releases ---- */

static void deny_all(size_t count, const char *reason, skr_result *results)
{
	for (size_t i = 0; i < count; i++) {
		results[i].decision = SKR_DENY;
		results[i].entry = -1;
		results[i].reason = reason;
	}
}

static skr_status evaluate_all(const skr_program *const *programs, size_t count,
                               const skr_claims *claims, const char *issuer, size_t issuer_len,
                               skr_result *results)
{
	for (size_t i = 0; i < count; i++) {
		skr_status st = skr_evaluate(programs[i], claims, issuer, issuer_len, NULL, &results[i]);
		if (st != SKR_OK)
			return st;
	}
	return SKR_OK;
}

/* Decides from the cache when it contains the token, verified under the same
 * options. Returns 1 with *status set when it decided, 0 for a miss. */
static int cache_answer(skr_cache *cache, skr_workspace *ws, uint64_t hash,
                        const skr_program *const *programs, size_t count, const char *token,
                        size_t len, const skr_verify_options *options, skr_diags *diags,
                        skr_release_info *info, skr_result *results, skr_status *status)
{
	cache_stripe *stripe = &cache->stripes[ws->stripe];
	unsigned parity;
	for (;;) {
		uint64_t epoch = atomic_load(&cache->epoch);
		parity = (unsigned)(epoch & 1);
		atomic_fetch_add(&stripe->readers[parity], 1);
		if (atomic_load(&cache->epoch) == epoch)
			break;
		atomic_fetch_sub(&stripe->readers[parity], 1);
	}

	cache_set *set = &cache->sets[hash & cache->set_mask];
	uint32_t tag = (uint32_t)(hash >> 32);
	cache_entry *hit = NULL;
	for (uint32_t w = 0; w < CACHE_WAYS; w++) {
		if (atomic_load_explicit(&set->tag[w], memory_order_relaxed) != tag)
			continue;
		cache_entry *e = atomic_load(&set->way[w]);
		if (e != NULL && same_token(e, hash, token, len) && same_options(e, options)) {
			hit = e;
			break;
		}
	}

	int answered = 0;
	if (hit != NULL && hit->issuer_len < ws->issuer_cap) {
		answered = 1;
		if (!atomic_load_explicit(&hit->referenced, memory_order_relaxed))
			atomic_store_explicit(&hit->referenced, 1, memory_order_relaxed);
		memcpy(ws->issuer, hit->issuer, hit->issuer_len);
		ws->issuer[hit->issuer_len] = '\0';
		info->issuer = ws->issuer;
		info->issuer_len = hit->issuer_len;
		info->authority = hit->authority;
		info->authority_len = hit->authority_len;
		info->kid = hit->kid;
		info->kid_len = hit->kid_len;
		info->alg = hit->alg;
		info->cached = 1;

		const char *reason = NULL;
		*status = skr_token_check_lifetime(&hit->claims, options, diags, &reason);
		if (*status == SKR_OK) {
			info->reason = "token_valid";
			info->failed = SKR_CHECK_COUNT;
			*status = evaluate_all(programs, count, &hit->claims, hit->issuer, hit->issuer_len,
			                       results);
		} else {
			info->reason = reason;
			info->failed = SKR_CHECK_LIFETIME;
			deny_all(count, reason, results);
		}
	}
	atomic_fetch_sub(&stripe->readers[parity], 1);
	return answered;
}

skr_status skr_release_batch(const skr_trust *trust, skr_cache *cache, skr_workspace *ws,
                             const skr_program *const *programs, size_t count,
                             const char *token, size_t len, const skr_verify_options *options,
                             skr_diags *diags, skr_release_info *info, skr_result *results)
{
	if (trust == NULL || ws == NULL || token == NULL || options == NULL || options->leeway < 0 ||
	    (count > 0 && (programs == NULL || results == NULL)))
		return SKR_E_USAGE;
	for (size_t i = 0; i < count; i++) {
		if (programs[i] == NULL)
			return SKR_E_USAGE;
	}
	if (cache != NULL && cache->trust_id != trust->id)
		return SKR_E_USAGE;

	skr_release_info local;
	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof *info);

	uint64_t hash = 0;
	skr_status st;
	if (cache != NULL) {
		hash = XXH3_64bits_withSeed(token, len, cache->seed);
		if (cache_answer(cache, ws, hash, programs, count, token, len, options, diags, info,
		                 results, &st)) {
			ws->hits++;
			return st;
		}
		ws->misses++;
	}

	skr_verify_memory mem = { ws->parts, ws->parts_cap, ws->header, ws->payload };
	skr_token t;
	skr_claims *claims = NULL;
	st = skr_token_verify_in(trust, token, len, options, &mem, diags, &t, &claims);
	info->reason = t.reason;
	info->failed = t.failed;
	info->issuer = t.issuer;
	info->issuer_len = t.issuer_len;
	info->authority = t.authority;
	info->authority_len = t.authority_len;
	info->kid = t.kid;
	info->kid_len = t.kid_len;
	info->alg = t.alg;

	if (st == SKR_OK) {
		st = evaluate_all(programs, count, claims, t.issuer, t.issuer_len, results);
		if (st == SKR_OK && cache != NULL)
			cache_insert(cache, hash, token, len, options, &t, claims);
	} else {
		deny_all(count, t.reason, results);
	}
	/* The claims are the workspace's own index unless the workspace had no
	 * room for them. */
	if (claims != NULL && claims != ws->payload)
		skr_claims_free(claims);
	return st;
}
