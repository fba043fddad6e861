"""An import-linter contract of our own: no import cycles anywhere among the given packages.

import-linter's ``acyclic_siblings`` looks for cycles between the children of one package;
a cycle that runs through several top-level packages (``safeshare.app`` -> ``tasks.automated``
-> ``safeshare.services.sharing`` -> ``safeshare.app`` was one) has no common parent, so this
contract looks at the whole module graph: any strongly connected group of modules is a cycle.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class NoCyclesContract(Contract):
    """Kept when no module of ``packages`` imports itself through other modules."""

    type_name = "no_cycles"
    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        roots = tuple(self.packages)  # type: ignore[attr-defined]
        modules = sorted(m for m in graph.modules if m.split(".")[0] in roots)
        cycles = _strongly_connected(modules, lambda m: sorted(graph.find_modules_directly_imported_by(m)))
        return ContractCheck(kept=not cycles, metadata={"cycles": cycles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error(f"These modules import each other in a cycle: {', '.join(cycle)}", bold=False)
            output.new_line()


def _strongly_connected(modules: list[str], imported_by: Any) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph is deep): groups of two or more modules in a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    wanted = set(modules)
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(n for n in imported_by(root) if n in wanted))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(n for n in imported_by(child) if n in wanted)))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups
