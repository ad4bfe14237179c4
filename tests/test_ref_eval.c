/*
 * Unit tests of the reference evaluator: hand-written cases for each rule
 * of the evaluation semantics, and the shared decision cases.
 *
 * Policies and claims in the tables are written with ' for " to keep them
 * readable; quote_json turns them back into JSON.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_eval.h"
#include "skr.h"

#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)

enum { RELEASE = 0, DENY = 1, INVALID = -1 };

/* Copies text with every ' replaced by ". The caller frees the copy. */
static char *quote_json(const char *text)
{
	size_t len = strlen(text);
	char *out = malloc(len + 1);
	cr_assert_not_null(out);
	for (size_t i = 0; i <= len; i++)
		out[i] = text[i] == '\'' ? '"' : text[i];
	return out;
}

static json_t *load_json(const char *text, size_t len)
{
	json_error_t error;
	return json_loadb(text, len, LOAD_FLAGS, &error);
}

/* Evaluates a policy on claims (both with ' for "), with the given issuer.
 * A policy or claims text jansson rejects counts as invalid. */
static int evaluate_texts(const char *policy_text, const char *claims_text,
                          const char *issuer, int *entry)
{
	char *policy_json = quote_json(policy_text);
	char *claims_json = quote_json(claims_text);
	json_t *policy = load_json(policy_json, strlen(policy_json));
	json_t *claims = load_json(claims_json, strlen(claims_json));
	int result = INVALID;

	*entry = -1;
	if (policy != NULL && claims != NULL)
		result = ref_evaluate(policy, claims, issuer, strlen(issuer), entry);
	json_decref(policy);
	json_decref(claims);
	free(policy_json);
	free(claims_json);
	return result;
}

/* ------------------------------------------------------------------------
 * One condition under one authority entry.
 */
typedef struct condition_case {
	const char *condition;  /* one condition */
	const char *members;    /* claims members besides "iss" */
	int expected;           /* RELEASE when the condition holds */
} condition_case;

static const condition_case condition_cases[] = {
	/* Numbers compare as numbers, int64 and double exactly. */
	{"{'claim':'n','equals':1}", "'n':1", RELEASE},
	{"{'claim':'n','equals':1}", "'n':1.0", RELEASE},
	{"{'claim':'n','equals':'1'}", "'n':1", RELEASE},
	{"{'claim':'n','equals':1}", "'n':'1'", RELEASE},
	{"{'claim':'n','equals':'1e2'}", "'n':100", RELEASE},
	{"{'claim':'n','equals':100}", "'n':'1E+2'", RELEASE},
	{"{'claim':'n','equals':'-0'}", "'n':0", RELEASE},
	{"{'claim':'n','equals':0}", "'n':-0.0", RELEASE},
	{"{'claim':'n','equals':'1.5'}", "'n':1.5", RELEASE},
	{"{'claim':'n','equals':9007199254740993}", "'n':9007199254740992.0", DENY},
	{"{'claim':'n','equals':9007199254740992}", "'n':9007199254740992.0", RELEASE},
	{"{'claim':'n','greater':9007199254740992.0}", "'n':9007199254740993", RELEASE},
	{"{'claim':'n','equals':9007199254740993.0}", "'n':9007199254740992", RELEASE},
	{"{'claim':'n','equals':9223372036854775807}", "'n':9223372036854775807", RELEASE},
	{"{'claim':'n','equals':9223372036854775807}", "'n':9.223372036854775807e18", DENY},
	{"{'claim':'n','less':9.223372036854775807e18}", "'n':9223372036854775807", RELEASE},
	{"{'claim':'n','greaterOrEquals':-9.223372036854775808e18}", "'n':-9223372036854775808", RELEASE},
	{"{'claim':'n','greater':-9.223372036854775808e18}", "'n':-9223372036854775808", DENY},
	{"{'claim':'n','equals':-9223372036854775808}", "'n':-9.223372036854775808e18", RELEASE},
	{"{'claim':'n','less':-9223372036854775807}", "'n':-9223372036854775808", RELEASE},
	{"{'claim':'n','greater':9223372036854775806}", "'n':'9223372036854775807'", RELEASE},
	{"{'claim':'n','notEquals':1}", "'n':2", RELEASE},
	{"{'claim':'n','lessOrEquals':3}", "'n':3", RELEASE},
	{"{'claim':'n','greater':3}", "'n':3", DENY},
	{"{'claim':'n','greaterOrEquals':3}", "'n':3.0", RELEASE},
	{"{'claim':'n','less':0.5}", "'n':0", RELEASE},
	{"{'claim':'n','less':10}", "'n':'9'", RELEASE},
	{"{'claim':'n','less':'10'}", "'n':9", RELEASE},
	{"{'claim':'n','less':1}", "'n':'1e-400'", RELEASE},
	{"{'claim':'n','greater':0}", "'n':1e-320", RELEASE},
	{"{'claim':'n','greater':1.5}", "'n':2", RELEASE},
	{"{'claim':'n','less':-1.5}", "'n':-2", RELEASE},
	/* Two strings compare as bytes, even numeric ones. */
	{"{'claim':'n','equals':'10'}", "'n':'1e1'", DENY},
	{"{'claim':'n','notEquals':'10'}", "'n':'1e1'", RELEASE},
	{"{'claim':'n','equals':'10'}", "'n':'10'", RELEASE},
	/* A string that is not a JSON number in range does not compare with a number. */
	{"{'claim':'n','equals':'9223372036854775808'}", "'n':9.223372036854775808e18", DENY},
	{"{'claim':'n','notEquals':'9223372036854775808'}", "'n':9.223372036854775808e18", DENY},
	{"{'claim':'n','equals':'+1'}", "'n':1", DENY},
	{"{'claim':'n','notEquals':'+1'}", "'n':1", DENY},
	{"{'claim':'n','equals':' 1'}", "'n':1", DENY},
	{"{'claim':'n','equals':'0x10'}", "'n':16", DENY},
	{"{'claim':'n','equals':'01'}", "'n':1", DENY},
	{"{'claim':'n','equals':'1.'}", "'n':1", DENY},
	{"{'claim':'n','equals':'.5'}", "'n':0.5", DENY},
	{"{'claim':'n','notEquals':'1e400'}", "'n':1", DENY},
	{"{'claim':'n','equals':1}", "'n':'1\\u0000'", DENY},
	{"{'claim':'n','notEquals':1}", "'n':'abc'", DENY},
	/* Ordering is numeric only. */
	{"{'claim':'n','less':10}", "'n':'abc'", DENY},
	{"{'claim':'n','less':10}", "'n':true", DENY},
	{"{'claim':'n','less':10}", "'n':null", DENY},
	{"{'claim':'n','less':10}", "'n':[1]", DENY},
	{"{'claim':'n','less':10}", "'n':{}", DENY},
	{"{'claim':'n','greater':0}", "'n':'true'", DENY},
	{"{'claim':'n','less':'abc'}", "'n':1", INVALID},
	{"{'claim':'n','less':'1e400'}", "'n':1", INVALID},
	{"{'claim':'n','less':true}", "'n':1", INVALID},
	{"{'claim':'n','greater':'+1'}", "'n':2", INVALID},
	/* Booleans, and the strings "true" and "false" against booleans. */
	{"{'claim':'b','equals':true}", "'b':true", RELEASE},
	{"{'claim':'b','equals':'true'}", "'b':true", RELEASE},
	{"{'claim':'b','equals':true}", "'b':'true'", RELEASE},
	{"{'claim':'b','equals':'false'}", "'b':false", RELEASE},
	{"{'claim':'b','equals':false}", "'b':'false'", RELEASE},
	{"{'claim':'b','notEquals':'false'}", "'b':true", RELEASE},
	{"{'claim':'b','notEquals':false}", "'b':false", DENY},
	{"{'claim':'b','equals':'True'}", "'b':true", DENY},
	{"{'claim':'b','notEquals':'True'}", "'b':true", DENY},
	{"{'claim':'b','equals':true}", "'b':1", DENY},
	{"{'claim':'b','notEquals':true}", "'b':1", DENY},
	{"{'claim':'b','equals':'1'}", "'b':true", DENY},
	{"{'claim':'b','notEquals':'1'}", "'b':true", DENY},
	{"{'claim':'b','equals':'true'}", "'b':'true'", RELEASE},
	{"{'claim':'b','notEquals':true}", "'b':'yes'", DENY},
	{"{'claim':'b','notEquals':'true'}", "'b':'false'", RELEASE},
	/* Strings: length and bytes, escapes decoded, case-sensitive. */
	{"{'claim':'s','equals':'abc'}", "'s':'abc'", RELEASE},
	{"{'claim':'s','equals':'ABC'}", "'s':'abc'", DENY},
	{"{'claim':'s','notEquals':'ABC'}", "'s':'abc'", RELEASE},
	{"{'claim':'s','equals':'a\\u0000b'}", "'s':'a\\u0000b'", RELEASE},
	{"{'claim':'s','equals':'a\\u0000b'}", "'s':'a'", DENY},
	{"{'claim':'s','notEquals':'a\\u0000b'}", "'s':'a\\u0000c'", RELEASE},
	{"{'claim':'s','equals':''}", "'s':''", RELEASE},
	{"{'claim':'s','equals':'\\u00e9'}", "'s':'\xc3\xa9'", RELEASE},
	{"{'claim':'s','equals':'\\ud83d\\ude00'}", "'s':'\xf0\x9f\x98\x80'", RELEASE},
	{"{'claim':'s','equals':'null'}", "'s':null", DENY},
	/* Null, array and object claims are never comparable. */
	{"{'claim':'s','equals':'abc'}", "'s':null", DENY},
	{"{'claim':'s','notEquals':'abc'}", "'s':null", DENY},
	{"{'claim':'s','notEquals':'abc'}", "'s':['abc']", DENY},
	{"{'claim':'s','notEquals':1}", "'s':{'a':1}", DENY},
	{"{'claim':'s','equals':false}", "'s':[]", DENY},
	/* Missing claims: every operator false except exists false. */
	{"{'claim':'m','equals':1}", "'n':1", DENY},
	{"{'claim':'m','notEquals':1}", "'n':1", DENY},
	{"{'claim':'m','less':1}", "'n':1", DENY},
	{"{'claim':'m','greaterOrEquals':1}", "'n':1", DENY},
	{"{'claim':'m','exists':true}", "'n':1", DENY},
	{"{'claim':'m','exists':false}", "'n':1", RELEASE},
	{"{'claim':'m','exists':'false'}", "'n':1", RELEASE},
	{"{'claim':'n','exists':'true'}", "'n':null", RELEASE},
	{"{'claim':'n','exists':false}", "'n':null", DENY},
	{"{'claim':'n','exists':true}", "'n':{}", RELEASE},
	/* Paths descend through objects only; dotted member names are never reached. */
	{"{'claim':'a.b','equals':1}", "'a':{'b':1}", RELEASE},
	{"{'claim':'a.b','equals':1}", "'a.b':1", DENY},
	{"{'claim':'a.b','exists':false}", "'a.b':1", RELEASE},
	{"{'claim':'a.b','equals':2}", "'a.b':1,'a':{'b':2}", RELEASE},
	{"{'claim':'a.b','equals':1}", "'a.b':1,'a':{'b':2}", DENY},
	{"{'claim':'a.b.c','equals':1}", "'a':{'b.c':1}", DENY},
	{"{'claim':'a.b','exists':true}", "'a':[{'b':1}]", DENY},
	{"{'claim':'a.0','exists':true}", "'a':[1]", DENY},
	{"{'claim':'a.b.c','equals':'x'}", "'a':{'b':{'c':'x'}}", RELEASE},
	{"{'claim':'a.b','exists':true}", "'a':'b'", DENY},
	{"{'claim':'a','exists':true}", "'a':{'b':1}", RELEASE},
	{"{'claim':'a','equals':'x'}", "'a':{'b':1}", DENY},
	{"{'claim':'A','exists':true}", "'a':1", DENY},
	{"{'claim':'x-ms-tee','equals':1}", "'x-ms\\u002dtee':1", RELEASE},
	{"{'claim':'x-ms\\u002dtee','equals':1}", "'x-ms-tee':1", RELEASE},
	{"{'claim':'iss','equals':'https://a.example'}", "", RELEASE},
	/* Member names of the policy are ASCII case-insensitive. */
	{"{'CLAIM':'n','EQUALS':1}", "'n':1", RELEASE},
	{"{'claim':'n','greaterorequals':1}", "'n':1", RELEASE},
	{"{'\\u0063laim':'n','equals':1}", "'n':1", RELEASE},
	{"{'claim':'n','Claim':'n','equals':1}", "'n':1", INVALID},
	{"{'claim':'n','equals':1,'Equals':1}", "'n':1", INVALID},
	{"{'claims':'n','equals':1}", "'n':1", INVALID},
	{"{'claim':'n','equal':1}", "'n':1", INVALID},
	{"{'claim':'n','equals':1,'less':2}", "'n':1", INVALID},
	{"{'claim':'n'}", "'n':1", INVALID},
	{"{'equals':1}", "'n':1", INVALID},
	{"{'claim':1,'equals':1}", "'n':1", INVALID},
	{"{'claim':'n','equals':null}", "'n':null", INVALID},
	{"{'claim':'n','equals':[1]}", "'n':1", INVALID},
	{"{'claim':'n','equals':{}}", "'n':1", INVALID},
	{"{'claim':'n','exists':1}", "'n':1", INVALID},
	{"{'claim':'n','exists':'yes'}", "'n':1", INVALID},
	/* The long form. */
	{"{'claim':'b','condition':'equals','value':'false'}", "'b':false", RELEASE},
	{"{'value':2,'condition':'greater','claim':'n'}", "'n':3", RELEASE},
	{"{'claim':'m','condition':'exists','value':'false'}", "'n':1", RELEASE},
	{"{'claim':'n','condition':'equals','value':1,'equals':1}", "'n':1", INVALID},
	{"{'claim':'n','condition':'equals'}", "'n':1", INVALID},
	{"{'claim':'n','value':1}", "'n':1", INVALID},
	{"{'claim':'n','condition':'equal','value':1}", "'n':1", INVALID},
	{"{'claim':'n','condition':'less','value':'x'}", "'n':1", INVALID},
	/* Groups. */
	{"{'anyOf':[{'claim':'n','equals':1},{'claim':'n','equals':2}]}", "'n':2", RELEASE},
	{"{'allOf':[{'claim':'n','equals':1},{'claim':'n','equals':2}]}", "'n':2", DENY},
	{"{'ALLOF':[{'claim':'n','greater':1},{'claim':'n','less':3}]}", "'n':2", RELEASE},
	{"{'anyOf':[]}", "'n':1", INVALID},
	{"{'anyOf':[{'claim':'n','equals':1}],'allOf':[{'claim':'n','equals':1}]}", "'n':1", INVALID},
	{"{'anyOf':[{'claim':'n','equals':1}],'claim':'n'}", "'n':1", INVALID},
	{"{'anyOf':{'claim':'n','equals':1}}", "'n':1", INVALID},
	{"{'authority':'https://a.example','anyOf':[{'claim':'n','equals':1}]}", "'n':1", INVALID},
};

Test(ref_eval, condition_table)
{
	size_t count = sizeof condition_cases / sizeof condition_cases[0];
	char policy[1024];
	char claims[512];

	for (size_t i = 0; i < count; i++) {
		const condition_case *c = &condition_cases[i];
		int entry = 0;

		snprintf(policy, sizeof policy,
		         "{'version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':[%s]}]}",
		         c->condition);
		snprintf(claims, sizeof claims, "{'iss':'https://a.example'%s%s}",
		         c->members[0] != '\0' ? "," : "", c->members);
		int result = evaluate_texts(policy, claims, "https://a.example", &entry);
		cr_expect_eq(result, c->expected, "case %zu: condition %s on claims %s: got %d, expected %d",
		             i, c->condition, claims, result, c->expected);
		cr_expect_eq(entry, result == RELEASE ? 0 : -1, "case %zu: entry %d", i, entry);
	}
}

/* ------------------------------------------------------------------------
 * Whole policies: shape, versions, authority entries.
 */
typedef struct policy_case {
	const char *policy;
	const char *claims;
	const char *issuer;
	int expected;
	int entry;
} policy_case;

#define COND_N1 "[{'claim':'n','equals':1}]"
#define COND_N2 "[{'claim':'n','equals':2}]"

static const policy_case policy_cases[] = {
	{"{'version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", RELEASE, 0},
	{"{'anyOf':[{'anyOf':" COND_N1 ",'authority':'https://a.example'}],'version':'1.0'}",
	 "{'n':1}", "https://a.example", RELEASE, 0},
	{"{'version':'0.2','anyOf':[{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", RELEASE, 0},
	{"{'Version':'1.0.0','ANYOF':[{'Authority':'https://a.example','allof':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", RELEASE, 0},
	/* Versions other than 1.0.0, 1.0 and 0.2 are invalid, and so is a missing one. */
	{"{'version':'2.0','anyOf':[{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':'1.0.0 ','anyOf':[{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':1,'anyOf':[{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	{"{'anyOf':[{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	/* Top-level shape. */
	{"{'version':'1.0.0','allOf':[{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':'1.0.0','anyOf':[]}", "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':'1.0.0'}", "{'n':1}", "https://a.example", INVALID, -1},
	{"'{\\'version\\':\\'1.0.0\\'}'", "{'n':1}", "https://a.example", INVALID, -1},
	{"[]", "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':'1.0.0','Version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':" COND_N1 "}],'x':1}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	/* Authority entries. */
	{"{'version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':" COND_N1 ",'anyOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':'1.0.0','anyOf':[{'authority':'https://a.example'}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':'1.0.0','anyOf':[{'allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':'1.0.0','anyOf':[{'authority':1,'allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':" COND_N1 ",'claim':'n'}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	{"{'version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':[]}]}",
	 "{'n':1}", "https://a.example", INVALID, -1},
	/* The first entry that matches and holds releases. */
	{"{'version':'1.0.0','anyOf':[{'authority':'https://b.example','allOf':" COND_N1 "},"
	 "{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", RELEASE, 1},
	{"{'version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':" COND_N2 "},"
	 "{'authority':'https://a.example/','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", RELEASE, 1},
	{"{'version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':" COND_N1 "},"
	 "{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", RELEASE, 0},
	{"{'version':'1.0.0','anyOf':[{'authority':'https://b.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", DENY, -1},
	{"{'version':'1.0.0','anyOf':[{'authority':'https://A.EXAMPLE/','allOf':" COND_N1 "}]}",
	 "{'n':1}", "HTTPS://a.example", RELEASE, 0},
	{"{'version':'1.0.0','anyOf':[{'authority':'https:\\/\\/a.example','allOf':" COND_N1 "}]}",
	 "{'n':1}", "https://a.example", RELEASE, 0},
	/* Claims must be an object. */
	{"{'version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':" COND_N1 "}]}",
	 "[1]", "https://a.example", INVALID, -1},
};

Test(ref_eval, policy_table)
{
	size_t count = sizeof policy_cases / sizeof policy_cases[0];

	for (size_t i = 0; i < count; i++) {
		const policy_case *c = &policy_cases[i];
		int entry = 0;
		int result = evaluate_texts(c->policy, c->claims, c->issuer, &entry);
		cr_expect_eq(result, c->expected, "case %zu: policy %s: got %d, expected %d", i,
		             c->policy, result, c->expected);
		cr_expect_eq(entry, c->entry, "case %zu: policy %s: entry %d, expected %d", i,
		             c->policy, entry, c->entry);
	}
}

/* Builds a policy whose entry group contains groups_below nested groups. */
static char *nested_policy(int groups_below)
{
	size_t cap = 256 + (size_t)groups_below * 32;
	char *text = malloc(cap);
	size_t len = 0;

	cr_assert_not_null(text);
	len += (size_t)snprintf(text + len, cap - len,
	                        "{'version':'1.0.0','anyOf':[{'authority':'https://a.example','allOf':[");
	for (int i = 0; i < groups_below; i++)
		len += (size_t)snprintf(text + len, cap - len, "{'anyOf':[");
	len += (size_t)snprintf(text + len, cap - len, "{'claim':'n','equals':1}");
	for (int i = 0; i < groups_below; i++)
		len += (size_t)snprintf(text + len, cap - len, "]}");
	snprintf(text + len, cap - len, "]}]}");
	return text;
}

Test(ref_eval, nesting_depth_limit)
{
	int entry = 0;
	char *deepest = nested_policy(31);
	char *too_deep = nested_policy(32);

	cr_expect_eq(evaluate_texts(deepest, "{'n':1}", "https://a.example", &entry), RELEASE);
	cr_expect_eq(evaluate_texts(too_deep, "{'n':1}", "https://a.example", &entry), INVALID);
	free(deepest);
	free(too_deep);
}

/* ------------------------------------------------------------------------
 * Helpers exposed by the reference.
 */
typedef struct authority_case {
	const char *authority;
	const char *issuer;
	int matches;
} authority_case;

static const authority_case authority_cases[] = {
	{"https://a.example.net", "https://a.example.net/", 1},
	{"https://a.example.net/", "https://a.example.net/", 1},
	{"https://A.Example.NET", "https://a.example.net", 1},
	{"HTTPS://a.example.net", "https://a.example.net", 1},
	{"https://a.example.net/Path", "https://a.example.net/path", 0},
	{"https://a.example.net/path/", "https://a.example.net/path", 1},
	{"https://a.example.net//", "https://a.example.net", 0},
	{"https://a.example.net:443", "https://a.example.net", 0},
	{"https://a.example.net:8443/x", "https://A.EXAMPLE.NET:8443/x", 1},
	{"https://user@A.example", "https://user@a.example", 1},
	{"https://User@a.example", "https://user@a.example", 0},
	{"https://[::A]:8/x", "https://[::a]:8/x", 1},
	{"https://a.example?Q", "https://a.example?q", 0},
	{"https://a.example?Q", "https://A.example?Q", 1},
	{"urn:skr:Issuer", "urn:skr:issuer", 0},
	{"urn:skr:issuer", "urn:skr:issuer/", 1},
	{"1ttps://A", "1ttps://a", 0},
	{"", "/", 1},
	{"https://a.example", "https://b.example", 0},
	/* What follows the host's ':' is not folded, even when it is no port. */
	{"https://a.example:Port", "https://a.example:port", 0},
	{"https://A.example:8", "https://a.example:8", 1},
};

Test(ref_eval, authority_matching)
{
	size_t count = sizeof authority_cases / sizeof authority_cases[0];

	for (size_t i = 0; i < count; i++) {
		const authority_case *c = &authority_cases[i];
		int got = ref_authority_matches(c->authority, strlen(c->authority), c->issuer,
		                                strlen(c->issuer));
		cr_expect_eq(got, c->matches, "authority '%s' issuer '%s': got %d", c->authority,
		             c->issuer, got);
		got = ref_authority_matches(c->issuer, strlen(c->issuer), c->authority,
		                            strlen(c->authority));
		cr_expect_eq(got, c->matches, "swapped: authority '%s' issuer '%s': got %d", c->issuer,
		             c->authority, got);
	}
}

/* The product matches authorities as the reference does. */
Test(ref_eval, product_authority_matching)
{
	size_t count = sizeof authority_cases / sizeof authority_cases[0];
	skr_claims *claims = NULL;
	cr_assert_eq(skr_claims_parse("{\"n\":1}", 7, NULL, NULL, &claims), SKR_OK);

	for (size_t i = 0; i < count; i++) {
		const authority_case *c = &authority_cases[i];
		if (c->authority[0] == '\0')
			continue; /* an empty authority does not compile */
		char policy[512];
		snprintf(policy, sizeof policy,
		         "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"%s\",\"allOf\":"
		         "[{\"claim\":\"n\",\"equals\":1}]}]}", c->authority);
		skr_buffer image = { NULL, 0 };
		skr_program *program = NULL;
		cr_assert_eq(skr_compile(policy, strlen(policy), SKR_SYNTAX_JSON, NULL, NULL, &image),
		             SKR_OK, "%s", policy);
		cr_assert_eq(skr_program_load(image.data, image.len, NULL, &program), SKR_OK);
		skr_result result;
		cr_assert_eq(skr_evaluate(program, claims, c->issuer, strlen(c->issuer), NULL, &result),
		             SKR_OK);
		cr_expect_eq(result.decision == SKR_RELEASE, c->matches,
		             "authority '%s' issuer '%s': released %d", c->authority, c->issuer,
		             result.decision == SKR_RELEASE);
		skr_program_free(program);
		skr_buffer_free(&image);
	}
	skr_claims_free(claims);
}

typedef struct number_case {
	const char *text;
	size_t len;      /* 0 means strlen(text) */
	int valid;
	int is_int;
	int64_t i;
	double d;
} number_case;

static const number_case number_cases[] = {
	{"0", 0, 1, 1, 0, 0.0},
	{"-0", 0, 1, 1, 0, 0.0},
	{"10", 0, 1, 1, 10, 0.0},
	{"9223372036854775807", 0, 1, 1, INT64_MAX, 0.0},
	{"-9223372036854775808", 0, 1, 1, INT64_MIN, 0.0},
	{"1e2", 0, 1, 0, 0, 100.0},
	{"1E+2", 0, 1, 0, 0, 100.0},
	{"1.5", 0, 1, 0, 0, 1.5},
	{"-1.5e-3", 0, 1, 0, 0, -1.5e-3},
	{"0.0", 0, 1, 0, 0, 0.0},
	{"1e-400", 0, 1, 0, 0, 0.0},
	{"9223372036854775808.0", 0, 1, 0, 0, 9223372036854775808.0},
	{"", 0, 0, 0, 0, 0.0},
	{"-", 0, 0, 0, 0, 0.0},
	{"+1", 0, 0, 0, 0, 0.0},
	{" 1", 0, 0, 0, 0, 0.0},
	{"1 ", 0, 0, 0, 0, 0.0},
	{"01", 0, 0, 0, 0, 0.0},
	{"-01", 0, 0, 0, 0, 0.0},
	{"1.", 0, 0, 0, 0, 0.0},
	{".5", 0, 0, 0, 0, 0.0},
	{"1e", 0, 0, 0, 0, 0.0},
	{"1e+", 0, 0, 0, 0, 0.0},
	{"0x10", 0, 0, 0, 0, 0.0},
	{"9223372036854775808", 0, 0, 0, 0, 0.0},
	{"-9223372036854775809", 0, 0, 0, 0, 0.0},
	{"1e400", 0, 0, 0, 0, 0.0},
	{"-1e400", 0, 0, 0, 0, 0.0},
	{"Infinity", 0, 0, 0, 0, 0.0},
	{"NaN", 0, 0, 0, 0, 0.0},
	{"1\0", 2, 0, 0, 0, 0.0},
};

Test(ref_eval, number_grammar)
{
	size_t count = sizeof number_cases / sizeof number_cases[0];

	for (size_t k = 0; k < count; k++) {
		const number_case *c = &number_cases[k];
		size_t len = c->len != 0 ? c->len : strlen(c->text);
		ref_number number = {0, 0, 0.0};
		int valid = ref_parse_number(c->text, len, &number);

		cr_expect_eq(valid, c->valid, "'%s': valid %d", c->text, valid);
		if (!valid || !c->valid)
			continue;
		cr_expect_eq(number.is_int, c->is_int, "'%s': is_int %d", c->text, number.is_int);
		if (c->is_int)
			cr_expect_eq(number.i, c->i, "'%s': %lld", c->text, (long long)number.i);
		else
			cr_expect_eq(number.d, c->d, "'%s': %.17g", c->text, number.d);
	}
}

Test(ref_eval, exact_int_double_comparison)
{
	const ref_number max = {1, INT64_MAX, 0.0};
	const ref_number min = {1, INT64_MIN, 0.0};
	const ref_number two63 = {0, 0, 9223372036854775808.0};
	const ref_number minus_two63 = {0, 0, -9223372036854775808.0};
	const ref_number two53_plus_1 = {1, 9007199254740993, 0.0};
	const ref_number two53 = {0, 0, 9007199254740992.0};
	const ref_number minus_two53_minus_1 = {1, -9007199254740993, 0.0};
	const ref_number minus_two53 = {0, 0, -9007199254740992.0};
	const ref_number one = {1, 1, 0.0};
	const ref_number two = {1, 2, 0.0};
	const ref_number minus_one = {1, -1, 0.0};
	const ref_number minus_two = {1, -2, 0.0};
	const ref_number one_and_half = {0, 0, 1.5};
	const ref_number minus_one_and_half = {0, 0, -1.5};
	const ref_number zero = {1, 0, 0.0};
	const ref_number minus_zero = {0, 0, -0.0};

	cr_expect_eq(ref_compare_numbers(&max, &two63), -1);
	cr_expect_eq(ref_compare_numbers(&two63, &max), 1);
	cr_expect_eq(ref_compare_numbers(&min, &minus_two63), 0);
	cr_expect_eq(ref_compare_numbers(&two53_plus_1, &two53), 1);
	cr_expect_eq(ref_compare_numbers(&minus_two53_minus_1, &minus_two53), -1);
	cr_expect_eq(ref_compare_numbers(&one, &one_and_half), -1);
	cr_expect_eq(ref_compare_numbers(&two, &one_and_half), 1);
	cr_expect_eq(ref_compare_numbers(&minus_one, &minus_one_and_half), 1);
	cr_expect_eq(ref_compare_numbers(&minus_two, &minus_one_and_half), -1);
	cr_expect_eq(ref_compare_numbers(&zero, &minus_zero), 0);
	cr_expect_eq(ref_compare_numbers(&minus_zero, &zero), 0);
}

/* ------------------------------------------------------------------------
 * Shared decision cases.
 */
static char *read_file(const char *path, size_t *len)
{
	FILE *file = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0;

	*len = 0;
	if (file == NULL)
		return NULL;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			char *grown = realloc(data, cap);
			if (grown == NULL) {
				free(data);
				fclose(file);
				return NULL;
			}
			data = grown;
		}
		size_t got = fread(data + *len, 1, cap - *len, file);
		*len += got;
		if (got == 0)
			break;
	}
	fclose(file);
	return data;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Checks one case folder. Returns 1 when it was checked, 0 when it is not
 * decided on a claims file. */
static int check_shared_case(const char *dir, const char *name)
{
	char path[4096];
	size_t expect_len = 0;
	size_t policy_len = 0;
	size_t claims_len = 0;

	snprintf(path, sizeof path, "%s/%s/expect", dir, name);
	char *expect = read_file(path, &expect_len);
	snprintf(path, sizeof path, "%s/%s/policy.json", dir, name);
	char *policy_text = read_file(path, &policy_len);
	snprintf(path, sizeof path, "%s/%s/claims.json", dir, name);
	char *claims_text = read_file(path, &claims_len);
	int checked = 0;

	if (expect == NULL || policy_text == NULL || claims_text == NULL)
		goto done;

	int expected;
	if (expect_len >= 7 && memcmp(expect, "RELEASE", 7) == 0)
		expected = RELEASE;
	else if (expect_len >= 4 && memcmp(expect, "DENY", 4) == 0)
		expected = DENY;
	else if (expect_len >= 13 && memcmp(expect, "REJECT_POLICY", 13) == 0)
		expected = INVALID;
	else
		goto done;

	json_t *policy = load_json(policy_text, policy_len);
	json_t *claims = load_json(claims_text, claims_len);
	cr_assert_not_null(claims, "%s: claims.json does not load", name);
	const json_t *iss = json_object_get(claims, "iss");
	cr_assert(json_is_string(iss), "%s: claims have no string iss", name);

	int entry = -1;
	int result = INVALID;
	if (policy != NULL)
		result = ref_evaluate(policy, claims, json_string_value(iss), json_string_length(iss),
		                      &entry);
	cr_expect_eq(result, expected, "%s: reference gives %d, case expects %d", name, result,
	             expected);
	json_decref(policy);
	json_decref(claims);
	checked = 1;

done:
	free(expect);
	free(policy_text);
	free(claims_text);
	return checked;
}

Test(ref_eval, shared_decision_cases)
{
	const char *shared = getenv("SKR_SHARED");
	char dir[4096];

	snprintf(dir, sizeof dir, "%s/cases", shared != NULL ? shared : "../shared");
	DIR *handle = opendir(dir);
	if (handle == NULL) {
		fprintf(stderr, "ref_eval: skipping the shared decision cases: %s not found "
		                "(set SKR_SHARED)\n", dir);
		return;
	}

	char *names[512];
	size_t count = 0;
	struct dirent *item;
	while ((item = readdir(handle)) != NULL && count < 512) {
		if (item->d_name[0] != '.')
			names[count++] = strdup(item->d_name);
	}
	closedir(handle);
	qsort(names, count, sizeof names[0], compare_names);

	size_t checked = 0;
	for (size_t i = 0; i < count; i++) {
		checked += (size_t)check_shared_case(dir, names[i]);
		free(names[i]);
	}
	fprintf(stderr, "ref_eval: checked %zu shared decision cases in %s\n", checked, dir);
	cr_expect_gt(checked, 0, "no decision case with claims.json in %s", dir);
}
