// Runs the same GraphQL operations through Apollo Client three ways against a real gateway,
// for tests/gateway/test_batching_node.py:
//   unbatched: HttpLink, one HTTP request per operation;
//   batched:   BatchHttpLink, the operations of one tick in one JSON array;
//   apq:       the persisted-queries link in front of BatchHttpLink, run twice (the first
//              round registers every hash, the second sends hashes alone).
// Reads {url, headers, operations: [{query, variables}]} on stdin and prints, per way, what
// Apollo Client returned for each operation and every HTTP exchange as it went over the wire.
import { createHash } from "node:crypto";

import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { BatchHttpLink } from "@apollo/client/link/batch-http";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const input = JSON.parse(await readStdin());
const documents = input.operations.map((op) => ({ query: gql(op.query), variables: op.variables }));

function readStdin() {
  return new Promise((resolve, reject) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => (text += chunk));
    process.stdin.on("end", () => resolve(text));
    process.stdin.on("error", reject);
  });
}

// fetch, keeping a copy of every request and response body.
function recordingFetch(exchanges) {
  return async (uri, options) => {
    const response = await fetch(uri, options);
    const text = await response.clone().text();
    exchanges.push({
      request: JSON.parse(options.body),
      status: response.status,
      response: JSON.parse(text),
    });
    return response;
  };
}

function client(link) {
  return new ApolloClient({
    link,
    cache: new InMemoryCache(),
    clientAwareness: { name: "node-batch-test", version: "1" },
  });
}

// Every operation at once, as a screen's components would ask: what batching is for.
async function runAll(apollo) {
  const results = await Promise.all(
    documents.map((doc) =>
      apollo.query({ ...doc, fetchPolicy: "no-cache", errorPolicy: "all" }),
    ),
  );
  return results.map((r) => ({ data: r.data ?? null, errors: r.error?.errors ?? null }));
}

const http = { uri: `${input.url}/graphql`, headers: input.headers };
const batching = { batchMax: 10, batchInterval: 50 };
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

async function way(makeLink, rounds = 1) {
  const exchanges = [];
  const apollo = client(makeLink(recordingFetch(exchanges)));
  const results = [];
  for (let i = 0; i < rounds; i++) results.push(await runAll(apollo));
  return { results, exchanges };
}

const output = {
  unbatched: await way((f) => new HttpLink({ ...http, fetch: f })),
  batched: await way((f) => new BatchHttpLink({ ...http, ...batching, fetch: f })),
  apq: await way(
    (f) =>
      new PersistedQueryLink({ sha256 }).concat(
        new BatchHttpLink({ ...http, ...batching, fetch: f }),
      ),
    2,
  ),
};
process.stdout.write(JSON.stringify(output));
