"""The sidebar: topics with record counts, registered and opened modules."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode


@dataclass(frozen=True)
class SidebarItem:
    """What a sidebar line stands for."""

    kind: str
    """``topic`` or ``module``."""
    name: str


class Sidebar(Tree[SidebarItem]):
    """Enter on a topic feeds it to the bench; on a module, opens a bench."""

    HELP = (
        "Topics of the workspace with their record counts, and SmartModules: the "
        "registered ones and those opened from a path. Enter on a topic makes it the "
        "bench's input; Enter on a module opens it in a new bench. Ctrl+B hides this."
    )

    class Picked(Message):
        """A topic or module was chosen."""

        def __init__(self, item: SidebarItem) -> None:
            super().__init__()
            self.item = item

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("workspace", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._topic_nodes: dict[str, TreeNode[SidebarItem]] = {}
        self._topic_counts: dict[str, int] = {}

    def fill(
        self,
        topics: list[tuple[str, int]],
        registered: list[tuple[str, str]],
        opened: list[str],
    ) -> None:
        """Replace the contents: (topic, count), (module, kind), opened paths."""
        self.clear()
        topic_node = self.root.add("Topics", expand=True)
        self._topic_nodes = {
            name: topic_node.add_leaf(
                _topic_label(name, count), SidebarItem("topic", name)
            )
            for name, count in topics
        }
        self._topic_counts = dict(topics)
        module_node = self.root.add("Modules", expand=True)
        for name, kind in registered:
            module_node.add_leaf(f"{name} [dim]{kind}[/]", SidebarItem("module", name))
        for path in opened:
            label = f"{path.rsplit('/', 1)[-1]} [dim]path[/]"
            module_node.add_leaf(label, SidebarItem("module", path))

    def update_counts(self, topics: list[tuple[str, int]]) -> bool:
        """New record counts, in place; False when the topics themselves changed."""
        if [name for name, _ in topics] != list(self._topic_nodes):
            return False
        for name, count in topics:
            if self._topic_counts.get(name) != count:
                self._topic_nodes[name].set_label(_topic_label(name, count))
                self._topic_counts[name] = count
        return True

    def on_tree_node_selected(self, event: Tree.NodeSelected[SidebarItem]) -> None:
        event.stop()
        node: TreeNode[SidebarItem] = event.node
        if node.data is not None:
            self.post_message(self.Picked(node.data))


def _topic_label(name: str, count: int) -> str:
    return f"{name} [dim]{count:,}[/]"
