// Boots GraphiQL from the vendored UMD globals (React, ReactDOM, GraphiQL). The settings come
// from a JSON <script> block rather than inline code, so the page's CSP can say script-src 'self'.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var tabs = config.tabs || undefined;
  var props = {
    fetcher: GraphiQL.createFetcher({ url: config.endpoint }),
    defaultTabs: tabs,
    defaultEditorToolsVisibility: true,
    // A pasted bearer token should not outlive the browser tab in localStorage.
    shouldPersistHeaders: false,
  };
  // GraphiQL 3 fills the editors from defaultTabs[0].query but not its variables or headers,
  // so pass those too — only on a first visit: with tabs stored, GraphiQL would add a
  // duplicate tab for values that match none of them.
  var stored = null;
  try {
    stored = window.localStorage.getItem("graphiql:tabState");
  } catch (e) {
    // Storage can be disabled (private mode, sandboxed frames); treat as a first visit.
  }
  if (tabs && !stored) {
    props.variables = tabs[0].variables;
    if (tabs[0].headers) props.headers = tabs[0].headers;
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, props)
  );
})();
