/*
 * The C peers, run on the first workload: the hand-written evaluator on
 * parsed claims and on claims JSON, libjwt with the same evaluator, and the
 * OpenSSL floor.
 */
#include <string.h>

#include "peers.h"

int bench_c_peers_built(void)
{
	return 1;
}

typedef struct handwritten_context {
	const bench_input *input;
	json_t *policy;
	json_t *claims;
	int decision;
	unsigned failures;
} handwritten_context;

static void loop_decide(void *opaque, uint64_t calls)
{
	handwritten_context *c = opaque;
	for (uint64_t i = 0; i < calls; i++)
		c->decision = peer_handwritten_decide(c->policy, c->claims, c->input->issuer,
		                                      c->input->issuer_len);
}

/* Parses the claims JSON and decides on every call, as a service that gets
 * claims from elsewhere does. */
static void loop_parse_and_decide(void *opaque, uint64_t calls)
{
	handwritten_context *c = opaque;
	for (uint64_t i = 0; i < calls; i++) {
		json_t *claims = json_loadb(c->input->claims_json, c->input->claims_json_len,
		                            JSON_REJECT_DUPLICATES, NULL);
		if (claims == NULL)
			c->failures++;
		else
			c->decision = peer_handwritten_decide(c->policy, claims, c->input->issuer,
			                                      c->input->issuer_len);
		json_decref(claims);
	}
}

static void run_handwritten(const bench_config *config, const bench_workload *workload,
                            bench_peers *peers)
{
	const bench_input *in = workload->input;
	handwritten_context c;
	memset(&c, 0, sizeof c);
	c.input = in;
	c.policy = json_loadb(workload->policy_json, workload->policy_json_len, 0, NULL);
	c.claims = json_loadb(in->claims_json, in->claims_json_len, JSON_REJECT_DUPLICATES, NULL);
	if (c.policy == NULL || c.claims == NULL) {
		bench_peers_note(peers, "hand-written C peer skipped: jansson cannot parse the policy "
		                 "or the claims");
		goto done;
	}

	bench_peer *peer = bench_peers_add(
		peers, "hand-written C", JANSSON_VERSION, BENCH_WORK_EVAL,
		"evaluate only: policy and claims parsed once with jansson; each decision walks the "
		"policy JSON and looks each dotted claim path up member by member");
	if (peer != NULL) {
		bench_measure(config, loop_decide, &c, &peer->stats);
		peer->decision = c.decision;
	}
	peer = bench_peers_add(
		peers, "hand-written C, parse", JANSSON_VERSION, BENCH_WORK_INDEX_EVAL,
		"parse the claims JSON with jansson (duplicates rejected), then evaluate as above; "
		"compared with skr's index build plus evaluation");
	if (peer != NULL) {
		bench_measure(config, loop_parse_and_decide, &c, &peer->stats);
		peer->decision = c.failures == 0 ? c.decision : -1;
	}

done:
	json_decref(c.policy);
	json_decref(c.claims);
}

void bench_c_peers_run(const bench_config *config, const bench_workload *workload,
                       bench_peers *peers)
{
	if (workload->policy_json == NULL) {
		bench_peers_note(peers, "C peers skipped: %s is a compiled program, and the peers need "
		                 "the policy text", workload->name);
	} else {
		run_handwritten(config, workload, peers);
	}
	if (workload->input->token == NULL) {
		bench_peers_note(peers, "libjwt and the OpenSSL floor skipped: they need --token");
		return;
	}
	peer_openssl_floor(config, workload->input, peers);
	if (workload->policy_json != NULL)
		peer_libjwt(config, workload, peers);
}
