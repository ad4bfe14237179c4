/*
 * libjwt as a verifier (Debian's libjwt 1.10, which verifies RS256 with
 * OpenSSL), followed by the hand-written evaluation: what a developer who
 * picks libjwt writes. libjwt 1.10 has no lifetime checks, so exp and nbf
 * are checked here, and it offers the claims only as grants or as their
 * JSON text, which is parsed again with jansson. jwt_decode takes the key
 * as PEM text and parses it on every call; that is its API.
 */
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "peers.h"

/* libjwt 1.10 has no version macro or function; the build may pass the
 * version pkg-config reports. */
#ifndef LIBJWT_VERSION
#define LIBJWT_VERSION ""
#endif

typedef struct libjwt_context {
	const bench_workload *workload;
	char *token;           /* NUL-terminated copy */
	char *pem;
	size_t pem_len;
	json_t *policy;
	int decision;          /* of the last call: 1, 0, or -1 for a rejected token */
	unsigned sink;
} libjwt_context;

static int decide_once(libjwt_context *c)
{
	const bench_input *in = c->workload->input;
	jwt_t *jwt = NULL;
	int decision = -1;
	if (jwt_decode(&jwt, c->token, (const unsigned char *)c->pem, (int)c->pem_len) != 0)
		return -1;
	if (jwt_get_alg(jwt) != JWT_ALG_RS256)
		goto done;
	long exp = jwt_get_grant_int(jwt, "exp");
	long nbf = jwt_get_grant_int(jwt, "nbf");
	if (exp == 0 || in->options.now >= exp + in->options.leeway ||
	    (nbf != 0 && in->options.now + in->options.leeway < nbf))
		goto done;
	const char *iss = jwt_get_grant(jwt, "iss");
	char *grants = jwt_get_grants_json(jwt, NULL);
	json_t *claims = grants != NULL ? json_loads(grants, 0, NULL) : NULL;
	if (iss != NULL && claims != NULL)
		decision = peer_handwritten_decide(c->policy, claims, iss, strlen(iss));
	json_decref(claims);
	free(grants);
done:
	jwt_free(jwt);
	return decision;
}

static void loop_libjwt(void *opaque, uint64_t calls)
{
	libjwt_context *c = opaque;
	for (uint64_t i = 0; i < calls; i++)
		c->decision = decide_once(c);
	c->sink += (unsigned)c->decision;
}

void peer_libjwt(const bench_config *config, const bench_workload *workload, bench_peers *peers)
{
	const bench_input *in = workload->input;
	libjwt_context c;
	memset(&c, 0, sizeof c);
	c.workload = workload;
	c.token = malloc(in->token_len + 1);
	c.pem = peer_openssl_public_pem(in, &c.pem_len);
	c.policy = json_loadb(workload->policy_json, workload->policy_json_len, 0, NULL);
	if (c.token == NULL || c.pem == NULL || c.policy == NULL) {
		bench_peers_note(peers, "libjwt skipped: the key, the token or the policy could not be "
		                 "prepared");
		goto done;
	}
	memcpy(c.token, in->token, in->token_len);
	c.token[in->token_len] = '\0';
	if (decide_once(&c) < 0) {
		bench_peers_note(peers, "libjwt skipped: it rejects the token that skr accepts");
		goto done;
	}

	bench_peer *peer = bench_peers_add(
		peers, "libjwt + hand-written C", LIBJWT_VERSION,
		BENCH_WORK_COLD,
		"verify and evaluate: libjwt jwt_decode with the PEM key (RS256 through OpenSSL), exp "
		"and nbf checked by hand, the grants' JSON parsed again with jansson, then the "
		"hand-written evaluator");
	if (peer == NULL)
		goto done;
	bench_measure(config, loop_libjwt, &c, &peer->stats);
	peer->decision = c.decision;

done:
	json_decref(c.policy);
	free(c.pem);
	free(c.token);
}
