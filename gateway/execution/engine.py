"""The compiled engine under Strawberry: an ``ExecutionContext`` that runs cached plans.

Strawberry keeps parsing, validation, extensions (limits, cost, metrics) and error handling;
graphql-core still builds the executor (operation selection, variable coercion). Only
``execute_operation`` changes: it runs the operation's plan, built once per document text,
operation and ``@skip``/``@include`` variable values, and kept in an LRU. An operation the
planner does not support runs through graphql-core's executor, and that answer is kept too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from graphql import (
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    parse,
    validate,
)
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import VariableValues, get_variable_values
from prometheus_client import Counter
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.execution.executor import Run
from gateway.execution.plan import OperationPlan, Planner, Unsupported

EXECUTIONS = Counter(
    "crossfade_graphql_executions",
    "Operations executed, by engine (compiled plan or graphql-core) and why a plan was not used.",
    ["engine", "reason"],
)
# Distinct @skip/@include variable values planned per operation; more run uncached.
MAX_CONDITION_PLANS = 16


@dataclass(slots=True)
class OperationPlans:
    """The plans of one operation, per values of the variables its conditions read."""

    conditions: tuple[str, ...]
    plans: dict[tuple[Any, ...], OperationPlan | str] = field(default_factory=dict)


def _selection_sets(node: SelectionSetNode) -> Iterator[SelectionSetNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for selection in current.selections:
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                stack.append(inner)


def condition_variables(
    operation: OperationDefinitionNode, fragments: list[FragmentDefinitionNode]
) -> tuple[str, ...]:
    """Variables read by ``@skip(if:)``/``@include(if:)`` anywhere in the operation."""
    names: list[str] = []
    for root in [operation.selection_set, *(f.selection_set for f in fragments)]:
        for selection_set in _selection_sets(root):
            for selection in selection_set.selections:
                for directive in selection.directives or ():
                    names.extend(_condition_names(directive))
    return tuple(dict.fromkeys(names))


def _condition_names(directive: DirectiveNode) -> Iterator[str]:
    if directive.name.value not in ("skip", "include"):
        return
    for argument in directive.arguments or ():
        if isinstance(argument.value, VariableNode):
            yield argument.value.name.value


class PlanCache:
    """Plans by document text and operation name (LRU), built with graphql-core's pieces."""

    def __init__(self, schema: GraphQLSchema, maxsize: int) -> None:
        self.planner = Planner(schema)
        self._operations: LRUCache[tuple[str, str | None], OperationPlans] = LRUCache(maxsize)

    def plan(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDetails],
        variable_values: VariableValues,
    ) -> OperationPlan | str:
        """The operation's plan, or why there is none (then graphql-core runs it)."""
        loc = operation.loc
        if loc is None:
            return "document without source"
        key = (loc.source.body, None if operation.name is None else operation.name.value)
        entry = self._operations.get(key)
        if entry is None:
            definitions = [f.definition for f in fragments.values()]
            entry = OperationPlans(condition_variables(operation, definitions))
            self._operations[key] = entry
        coerced = variable_values.coerced
        condition = tuple(coerced.get(name) for name in entry.conditions)
        found = entry.plans.get(condition)
        if found is None:
            try:
                found = self.planner.plan(operation, fragments, variable_values)
            except Unsupported as exc:
                found = str(exc)
            if len(entry.plans) < MAX_CONDITION_PLANS:
                entry.plans[condition] = found
        return found

    def compile_source(self, source: str) -> list[OperationPlan | str]:
        """``compile`` for a document's text; nothing for one that does not validate."""
        try:
            document = parse(source)
        except GraphQLError:
            return []
        if validate(self.planner.schema, document):
            return []
        return self.compile(document)

    def compile(self, document: DocumentNode) -> list[OperationPlan | str]:
        """Plans every operation of a (validated) document for its default variable values,
        as start-up does for trusted documents."""
        fragments = {
            d.name.value: FragmentDetails(d)
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        plans: list[OperationPlan | str] = []
        schema = self.planner.schema
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            values: VariableValues | list[GraphQLError] = VariableValues({}, {})
            if condition_variables(definition, [f.definition for f in fragments.values()]):
                # Planned for the defaults; other values get their plan on first use.
                values = get_variable_values(schema, definition.variable_definitions or (), {})
            if isinstance(values, list):
                plans.append("conditions on required variables")
                continue
            plans.append(self.plan(definition, fragments, values))
        return plans

    def __len__(self) -> int:
        return len(self._operations)


class CompiledExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Runs plans from ``plans``; set by ``compiled_context`` for one schema."""

    plans: PlanCache | None = None
    plan_cache_size = 1024

    def execute_operation(self, serially: bool | None = None) -> Any:
        reason = self._unsupported(serially)
        plan: OperationPlan | str = reason or self._plan()
        if isinstance(plan, str):
            EXECUTIONS.labels(engine="standard", reason=plan).inc()
            return super().execute_operation(serially)
        EXECUTIONS.labels(engine="compiled", reason="").inc()
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        run = Run(
            plan,
            self,
            strawberry_schema.config,
            strawberry_schema.schema_converter.scalar_registry,
        )
        return run.execute()

    def _unsupported(self, serially: bool | None) -> str | None:
        if serially is not None:
            return "explicit serial execution"
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return "resolver middleware"
        if self.abort_signal is not None or self.hooks is not None:
            return "abort signal or hooks"
        if not self.error_propagation:
            return "error propagation disabled"
        if self.schema._strawberry_schema.exception_handlers:  # type: ignore[attr-defined]
            return "exception handlers"
        return None

    def _plan(self) -> OperationPlan | str:
        cls = type(self)
        if cls.plans is None:
            cls.plans = PlanCache(self.schema, cls.plan_cache_size)
        return cls.plans.plan(self.operation, self.fragments, self.variable_values)


def compiled_context(plan_cache_size: int) -> type[CompiledExecutionContext]:
    """A context class with its own plan cache (one per schema)."""
    return type(
        "CompiledExecutionContext",
        (CompiledExecutionContext,),
        {"plans": None, "plan_cache_size": plan_cache_size},
    )
