"""cornu's own import-linter contract type, registered in importlinter.ini.

``leaves``: each listed module is a leaf of the import graph in the sense that matters: no
module it imports (directly, or through a chain of imports, deferred function-level imports
included, as grimp counts them) imports it back, so it sits on no import cycle.  It may
import other modules; it may not be reached back from them.  import-linter 2.17 has no such
check (``acyclic_siblings`` squashes whole sibling packages and would flag every cycle of the
core, not only those through the named modules).

A broken contract names, per cycle, every import of the cycle with its line numbers::

    cornu.config is on an import cycle:

    - cornu.config -> cornu.layer (l.12)
    - cornu.layer -> cornu.config (l.3)
"""
from importlinter import Contract, ContractCheck, fields, output


class LeavesContract(Contract):
    """No import cycle passes through any of ``modules``."""

    type_name = "leaves"

    modules = fields.ListField(subfield=fields.ModuleField())

    def check(self, graph, verbose):
        cycles = []
        for module in self.modules:
            name = module.name
            if name not in graph.modules:
                raise ValueError(f"leaves contract: {name} is not a module of the graph")
            for imported in sorted(graph.find_modules_directly_imported_by(name)):
                chain = graph.find_shortest_chain(importer=imported, imported=name)
                if chain:
                    cycles.append((name, (name, *chain)))
        return ContractCheck(kept=not cycles, metadata={
            "cycles": [(leaf, [_link(graph, a, b) for a, b in zip(chain, chain[1:])])
                       for leaf, chain in cycles]})

    def render_broken_contract(self, check):
        for leaf, links in check.metadata["cycles"]:
            output.print_error(f"{leaf} is on an import cycle:", bold=False)
            output.new_line()
            for importer, imported, lines in links:
                output.print_error(f"- {importer} -> {imported} (l.{lines})", bold=False)
            output.new_line()


def _link(graph, importer, imported):
    details = graph.get_import_details(importer=importer, imported=imported)
    lines = ", ".join(str(d["line_number"]) for d in details) or "?"
    return importer, imported, lines
