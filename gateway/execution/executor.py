"""Running an ``OperationPlan``: graphql-core's algorithm without its per-field overhead.

The control flow is graphql-core's ``Executor`` (execute_fields, complete_value, lists,
abstract types, error handling), so the answer is the same down to the order of errors: that
order follows graphql-core's tasks (one per pending field or list item, gathered per object
and per list, awaited inline when alone), and keeping the same tasks keeps the same order.
What the plan removes: collecting fields, building an ``Info`` and a ``Path`` per field,
Strawberry's resolver wrappers, and the generic leaf coercion (exact fast paths for str, int
and bool). Errors are graphql-core's own: ``located_error`` at the same path with the same
nodes, collected by the executor's ``CollectedErrors``.

Batch forms (resolvers/batching.py): when a list is completed, the fields with a batch form
on its items (or one attribute below them: ``edges[].node``) are resolved with one call for
all the items; each item then takes its answer. An answer that needs waiting is handed to
the items as a DataLoader would hand it: one future per item, set by one dispatch task that
starts on the loop's next turn after the first item asks, so the items wait and wake on the
same turns as their per-item resolvers would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from graphql import ExecutionResult, GraphQLError, located_error
from graphql.execution.executor import Executor, collect_iterator_awaitables
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, gather_with_cancel, is_iterable
from strawberry.types.arguments import convert_arguments
from strawberry.types.cast import get_strawberry_type_cast

from gateway.execution.batch_call import BatchCall, close_awaitable, miscount
from gateway.execution.plan import (
    MISSING,
    FieldPlan,
    Get,
    Kind,
    OperationPlan,
    SelectionPlan,
    Shape,
)

if TYPE_CHECKING:
    from strawberry.schema.config import StrawberryConfig


# Completed values that are never awaitable: skips the awaitable check for most fields.
_SYNC = frozenset({dict, list, str, int, bool, float, type(None)})


class _Conversion(Exception):
    """Strawberry converts arguments inside its resolver wrapper: an error of the call."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


async def _raising(error: Exception) -> Any:
    raise error


class Run:
    """One execution of a plan, on the executor graphql-core built for the request."""

    def __init__(
        self,
        plan: OperationPlan,
        executor: Executor[Any],
        config: StrawberryConfig,
        scalar_registry: Any,
    ) -> None:
        self.plan = plan
        self.executor = executor
        self.config = config
        self.scalar_registry = scalar_registry
        self.is_awaitable: Callable[[Any], bool] = executor.is_awaitable
        self.errors = executor.collected_errors
        self.arguments: list[Any] = [MISSING] * plan.size
        # (field index, id(parent)) → (batch, the parent's index in it)
        self.batched: dict[tuple[int, int], tuple[BatchCall, int]] = {}
        self.batches: list[BatchCall] = []

    # -- the operation (Executor.execute_operation) ----------------------------------------

    def execute(self) -> ExecutionResult | Awaitable[ExecutionResult]:
        root = self.plan.root
        root_value = self.executor.root_value
        try:
            if self.plan.serial:
                result = self.execute_fields_serially(root, root_value)
            else:
                result = self.execute_fields(root, root_value, None)
            if self.is_awaitable(result):

                async def await_result() -> ExecutionResult:
                    try:
                        data = await result
                    except GraphQLError as error:
                        self.errors.add(error, None)
                        return self.build(None)
                    return self.build(data)

                return await_result()
        except GraphQLError as error:
            self.errors.add(error, None)
            return self.build(None)
        return self.build(result)

    def build(self, data: dict[str, Any] | None) -> ExecutionResult:
        for batch in self.batches:
            batch.close()
        self.executor.run_async_work_finished_hook()
        return ExecutionResult(data, self.errors.errors or None)

    def execute_fields_serially(self, plan: SelectionPlan, source: Any) -> Any:
        """Mutations: each root field completes before the next one starts."""
        results: dict[str, Any] = {}
        fields = plan.fields

        def from_index(i: int) -> Any:
            while i < len(fields):
                fp = fields[i]
                result = self.execute_field(plan, fp, source, None)
                if self.is_awaitable(result):

                    async def rest(key: str, pending: Any, after: int) -> dict[str, Any]:
                        results[key] = await pending
                        tail = from_index(after)
                        if self.is_awaitable(tail):
                            await tail
                        return results

                    return rest(fp.key, result, i + 1)
                results[fp.key] = result
                i += 1
            return results

        return from_index(0)

    # -- objects (Executor.execute_fields) --------------------------------------------------

    def execute_fields(self, plan: SelectionPlan, source: Any, path: Path | None) -> Any:
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        typename = plan.type.name
        try:
            for fp in plan.fields:
                get = fp.get
                key = fp.key
                if get is Get.TYPENAME:
                    results[key] = typename
                    continue
                if get is Get.ATTRIBUTE:
                    try:
                        value = fp.getter(source, fp.python_name)  # type: ignore[misc]
                    except Exception as raw:
                        self.handle_field_error(raw, fp, fp.shape, Path(path, key, typename))
                        results[key] = None
                        continue
                    fast = fp.shape.fast
                    if fast is not None:
                        out = fast(value)
                        if out is not MISSING:
                            results[key] = out
                            continue
                    result = self.complete_field(fp, Path(path, key, typename), value)
                else:
                    result = self.execute_field(plan, fp, source, path)
                results[key] = result
                if type(result) not in _SYNC and is_awaitable(result):
                    awaitable_fields.append(key)
        except Exception:
            if awaitable_fields:
                self.executor.settle_in_background([results[f] for f in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    # -- fields (Executor.execute_field) ----------------------------------------------------

    def complete_field(self, fp: FieldPlan, path: Path, value: Any) -> Any:
        """The completion half of ``execute_field``, for a value already read."""
        shape = fp.shape
        if self.is_awaitable(value):
            return self.complete_awaitable_value(fp, shape, path, value)
        try:
            completed = self.complete_value(fp, shape, path, value)
            if type(completed) not in _SYNC and self.is_awaitable(completed):
                return self._await_completed(completed, fp, shape, path)
        except Exception as raw:
            self.handle_field_error(raw, fp, shape, path)
            return None
        return completed

    async def _await_completed(
        self, completed: Any, fp: FieldPlan, shape: Shape, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw:
            self.handle_field_error(raw, fp, shape, path)
            return None

    def execute_field(
        self, plan: SelectionPlan, fp: FieldPlan, source: Any, parent: Path | None
    ) -> Any:
        path = Path(parent, fp.key, plan.type.name)
        shape = fp.shape
        try:
            if fp.get is Get.TYPENAME:
                return plan.type.name
            if fp.get is Get.ATTRIBUTE:
                result = fp.getter(source, fp.python_name)  # type: ignore[misc]
            else:
                result = self.resolve(fp, source, path)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(fp, shape, path, result)
            completed = self.complete_value(fp, shape, path, result)
            if type(completed) not in _SYNC and self.is_awaitable(completed):
                return self._await_completed(completed, fp, shape, path)
        except Exception as raw:
            self.handle_field_error(raw, fp, shape, path)
            return None
        return completed

    def resolve(self, fp: FieldPlan, source: Any, path: Path) -> Any:
        kwargs = self.arguments_of(fp)
        if isinstance(kwargs, _Conversion):
            assert fp.field is not None
            if fp.field.is_async:
                return _raising(kwargs.error)  # Strawberry's async wrapper fails when awaited
            raise kwargs.error
        if fp.get is Get.BATCH:
            found = self.batched.get((fp.index, id(source)))
            if found is not None:
                batch, index = found
                return batch.share(index)
        if fp.source_params or fp.info_param:
            kwargs = dict(kwargs)
            for name in fp.source_params:
                kwargs[name] = source
            if fp.info_param:
                kwargs[fp.info_param] = self.info(fp, path)
        resolver = fp.resolver
        assert resolver is not None
        if fp.self_param:
            return resolver(source, **kwargs)
        return resolver(**kwargs)

    def arguments_of(self, fp: FieldPlan) -> dict[str, Any] | _Conversion:
        """The resolver's keyword arguments, coerced (graphql-core) and converted (Strawberry)
        once per field and run; raises what graphql-core's coercion raises."""
        cached = self.arguments[fp.index]
        if cached is not MISSING:
            if isinstance(cached, GraphQLError):
                raise cached
            return cached  # type: ignore[no-any-return]
        executor = self.executor
        try:
            raw = (
                get_argument_values(
                    fp.field_def,  # type: ignore[arg-type]
                    fp.nodes[0],
                    executor.variable_values,
                    None,
                    executor.hide_suggestions,
                )
                if fp.has_args
                else {}
            )
        except GraphQLError as error:
            self.arguments[fp.index] = error
            raise
        assert fp.field is not None
        try:
            converted: dict[str, Any] | _Conversion = convert_arguments(
                raw, fp.field.arguments, self.scalar_registry, self.config, None
            )
        except Exception as exc:
            converted = _Conversion(exc)
        if not fp.copy_args:  # lists and input objects are built afresh for every call
            self.arguments[fp.index] = converted
        return converted

    def info(self, fp: FieldPlan, path: Path) -> Any:
        raw = self.executor.build_resolve_info(fp.field_def, fp.nodes, fp.parent, path)  # type: ignore[arg-type]
        return self.config.info_class(_raw_info=raw, _field=fp.field)  # type: ignore[arg-type]

    async def complete_awaitable_value(
        self, fp: FieldPlan, shape: Shape, path: Path, result: Any
    ) -> Any:
        try:
            resolved = await result
            completed = self.complete_value(fp, shape, path, resolved)
            if type(completed) not in _SYNC and self.is_awaitable(completed):
                completed = await completed
        except Exception as raw:
            self.handle_field_error(raw, fp, shape, path)
            completed = None
        return completed

    def handle_field_error(self, raw: Exception, fp: FieldPlan, shape: Shape, path: Path) -> None:
        error = located_error(raw, fp.nodes, path.as_list())
        if not shape.nullable:
            raise error
        self.errors.add(error, path)

    # -- values (Executor.complete_value) --------------------------------------------------

    def complete_value(self, fp: FieldPlan, shape: Shape, path: Path, result: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            if not shape.nullable:
                raise TypeError(fp.null_message)
            return None
        kind = shape.kind
        if kind is Kind.LEAF:
            fast = shape.fast
            if fast is not None:
                out = fast(result)
                if out is not MISSING:
                    return out
            return Executor.complete_leaf_value(shape.type, result)
        if kind is Kind.OBJECT:
            assert shape.plan is not None
            return self.complete_object_value(fp, shape.plan, path, result)
        if kind is Kind.ABSTRACT:
            return self.complete_object_value(
                fp, self.runtime_plan(fp, shape, path, result), path, result
            )
        return self.complete_list_value(fp, shape, path, result)

    def complete_object_value(
        self, fp: FieldPlan, plan: SelectionPlan, path: Path, result: Any
    ) -> Any:
        if plan.is_type_of is not None and not self.is_type_of(fp, plan, path, result):
            raise GraphQLError(
                f"Expected value of type '{plan.type}' but got: {_inspect(result)}.", fp.nodes
            )
        return self.execute_fields(plan, result, path)

    def is_type_of(self, fp: FieldPlan, plan: SelectionPlan, path: Path, value: Any) -> bool:
        memo = plan.memo_is_type_of and get_strawberry_type_cast(value) is None
        if memo:
            known = plan.memo.get(type(value))
            if known is not None:
                return known
        assert plan.is_type_of is not None
        answer = plan.is_type_of(value, self.field_info(fp, path))
        if self.is_awaitable(answer):
            close_awaitable(answer)
            raise TypeError("An awaitable is_type_of is not supported by compiled plans.")
        if memo:
            plan.memo[type(value)] = bool(answer)
        return bool(answer)

    def runtime_plan(self, fp: FieldPlan, shape: Shape, path: Path, value: Any) -> SelectionPlan:
        """graphql-core's ``complete_abstract_value`` up to the runtime type's plan; the type
        Strawberry resolves depends on the Python class only, unless the value is cast."""
        memo = (
            shape.memo_types
            and hasattr(type(value), "__strawberry_definition__")
            and get_strawberry_type_cast(value) is None
        )
        if memo:
            name = shape.memo.get(type(value))
            if name is not None:
                return shape.plans[name]
        info = self.field_info(fp, path)
        abstract = shape.type
        resolve = abstract.resolve_type or self.executor.type_resolver
        resolved = resolve(value, info, abstract)
        if self.is_awaitable(resolved):
            close_awaitable(resolved)
            raise TypeError("An awaitable type resolution is not supported by compiled plans.")
        runtime = self.executor.ensure_valid_runtime_type(
            resolved, abstract, fp.details, info, value
        )
        if memo:
            shape.memo[type(value)] = runtime.name
        return shape.plans[runtime.name]

    def field_info(self, fp: FieldPlan, path: Path) -> Any:
        """graphql-core's ``GraphQLResolveInfo`` of the field (an item's: its list field's)."""
        while isinstance(path.key, int) and path.prev is not None:
            path = path.prev
        return self.executor.build_resolve_info(fp.field_def, fp.nodes, fp.parent, path)  # type: ignore[arg-type]

    # -- lists (Executor.complete_list_value / complete_iterable_value) ---------------------

    def complete_list_value(self, fp: FieldPlan, shape: Shape, path: Path, result: Any) -> Any:
        if self.executor.is_async_iterable(result):
            # Rare enough to leave to graphql-core, on the same executor and errors.
            return self.executor.complete_value(
                shape.type, fp.details, self.field_info(fp, path), path, result, None
            )
        if not is_iterable(result):
            raise GraphQLError(
                f"Expected Iterable, but did not find one for field '{fp.parent.name}.{fp.name}'."
            )
        item = shape.item
        assert item is not None
        if item.prefetch:
            result = result if isinstance(result, list | tuple) else list(result)
            self.prefetch(fp, path, item, result)
        return self.complete_iterable_value(fp, item, path, result)

    def complete_iterable_value(
        self, fp: FieldPlan, item: Shape, path: Path, items: Iterable[Any]
    ) -> Any:
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        append = completed_results.append
        awaitable_indices: list[int] = []
        fast = item.fast
        iterator = iter(items)
        index = 0
        try:
            for value in iterator:
                if fast is not None:
                    out = fast(value)
                    if out is not MISSING:
                        append(out)
                        index += 1
                        continue
                item_path = path.add_key(index, None)
                if is_awaitable(value):
                    append(self.complete_awaitable_value(fp, item, item_path, value))
                    awaitable_indices.append(index)
                elif self.complete_list_item_value(fp, item, item_path, value, completed_results):
                    awaitable_indices.append(index)
                index += 1
        except Exception:
            pending = [completed_results[i] for i in awaitable_indices]
            pending.extend(collect_iterator_awaitables(iterator, is_awaitable))
            if pending:
                self.executor.settle_in_background(pending)
            raise

        if not awaitable_indices:
            return completed_results

        async def get_completed_results() -> list[Any]:
            if len(awaitable_indices) == 1:
                i = awaitable_indices[0]
                completed_results[i] = await completed_results[i]
            else:
                awaited = await gather_with_cancel(
                    *(completed_results[i] for i in awaitable_indices)
                )
                for i, sub in zip(awaitable_indices, awaited, strict=True):
                    completed_results[i] = sub
            return completed_results

        return get_completed_results()

    def complete_list_item_value(
        self, fp: FieldPlan, item: Shape, path: Path, value: Any, results: list[Any]
    ) -> bool:
        try:
            completed = self.complete_value(fp, item, path, value)
            if type(completed) not in _SYNC and self.is_awaitable(completed):

                async def await_completed() -> Any:
                    try:
                        return await completed
                    except Exception as raw:
                        self.handle_field_error(raw, fp, item, path)
                        return None

                results.append(await_completed())
                return True
            results.append(completed)
        except Exception as raw:
            self.handle_field_error(raw, fp, item, path)
            results.append(None)
        return False

    # -- batch forms -----------------------------------------------------------------------

    def prefetch(self, fp: FieldPlan, path: Path, item: Shape, values: Any) -> None:
        """Call each batch form once for the objects of a list (and one attribute below).

        Only objects completion will reach get in: the runtime type and ``is_type_of`` are
        decided as completion decides them; a list of one keeps the per-item resolver.
        """
        parents: dict[int, tuple[FieldPlan, list[Any]]] = {}
        self._collect(item, values, parents, lambda: self.field_info(fp, path))
        for batched, found in parents.values():
            unique = list({id(p): p for p in found}.values())
            if len(unique) < 2:
                continue
            batch = self._call_batch(batched, unique)
            self.batches.append(batch)
            for i, parent in enumerate(unique):
                self.batched[(batched.index, id(parent))] = (batch, i)

    def _collect(
        self,
        shape: Shape,
        values: Iterable[Any],
        parents: dict[int, tuple[FieldPlan, list[Any]]],
        info: Callable[[], Any],
    ) -> None:
        for value in values:
            if value is None or isinstance(value, Exception) or self.is_awaitable(value):
                continue
            plan = self._plan_of(shape, value, info)
            if plan is None:
                continue
            for fp in plan.batches:
                parents.setdefault(fp.index, (fp, []))[1].append(value)
            for fp in plan.routes:
                try:
                    below = fp.getter(value, fp.python_name)  # type: ignore[misc]
                except Exception:
                    continue
                self._collect(fp.shape, (below,), parents, info)

    def _plan_of(self, shape: Shape, value: Any, info: Callable[[], Any]) -> SelectionPlan | None:
        """The plan completion will use for ``value``, when it is known without side effects
        (Strawberry's type resolution and ``is_type_of`` only look at the class)."""
        if get_strawberry_type_cast(value) is not None:
            return None
        cls = type(value)
        if shape.kind is Kind.OBJECT:
            plan = shape.plan
        elif shape.memo_types and hasattr(cls, "__strawberry_definition__"):
            name = shape.memo.get(cls)
            if name is None:
                try:
                    name = shape.type.resolve_type(value, info(), shape.type)
                except Exception:
                    return None
                if name not in shape.plans:
                    return None
                shape.memo[cls] = name
            plan = shape.plans[name]
        else:
            return None
        if plan is None or plan.is_type_of is None:
            return plan
        if not plan.memo_is_type_of:
            return None
        known = plan.memo.get(cls)
        if known is None:
            try:
                known = bool(plan.is_type_of(value, info()))
            except Exception:
                return None
            plan.memo[cls] = known
        return plan if known else None

    def _call_batch(self, fp: FieldPlan, parents: list[Any]) -> BatchCall:
        try:
            kwargs = self.arguments_of(fp)
        except GraphQLError:
            return BatchCall([], False)  # each item raises it again when its field executes
        if isinstance(kwargs, _Conversion):
            return BatchCall(kwargs.error, False)
        if fp.info_param:
            # One Info for the level: what a batch form reads from it (the context, the
            # selection) is the same for every parent.
            kwargs = {**kwargs, fp.info_param: self.info(fp, Path(None, fp.key, fp.parent.name))}
        assert fp.batch is not None
        try:
            result = fp.batch(parents, **kwargs)
        except Exception as exc:
            return BatchCall(exc, False)
        name = f"{fp.parent.name}.{fp.name}"
        if self.is_awaitable(result):
            return BatchCall(result, True, len(parents), name)
        answers = list(result)
        if len(answers) != len(parents):
            return BatchCall(miscount(name, len(answers), len(parents)), False)
        return BatchCall(answers, False)


def _inspect(value: Any) -> str:
    from graphql.pyutils import inspect

    return inspect(value)
