"""Django's `{% extends %}`, with the parent's blocks found once per compiled
parent instead of on every render.

A builtin library (TEMPLATES' "builtins", after Django's own), so every
template's `{% extends %}` is this one. Django's ExtendsNode walks the whole
root template (base.html: the navigation, the search form, the menus) for its
`{% block %}` nodes each time a page renders it, 0.2 ms of every page. A
compiled template never changes, and the cached loader keeps it, so the
blocks found are kept with it (weakly: without the cached loader, as under
DEBUG, each render compiles a new parent and the entry goes with it).
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from django import template
from django.template.base import Parser, Template, TextNode, Token
from django.template.context import Context
from django.template.loader_tags import (
    BLOCK_CONTEXT_KEY,
    BlockContext,
    BlockNode,
    ExtendsNode,
    do_extends,
)
from django.utils.safestring import SafeString

register = template.Library()

# A root template's blocks by name; None for a parent that itself extends.
_root_blocks: WeakKeyDictionary[Template, dict[str, BlockNode] | None] = WeakKeyDictionary()


def root_blocks(parent: Template) -> dict[str, BlockNode] | None:
    """The `{% block %}` nodes of `parent` when it is the root of the chain
    (its first tag is not `{% extends %}`), as Django's ExtendsNode finds them."""
    try:
        return _root_blocks[parent]
    except KeyError:
        pass
    found = None
    for node in parent.nodelist:
        if not isinstance(node, TextNode):
            if not isinstance(node, ExtendsNode):
                blocks = parent.nodelist.get_nodes_by_type(BlockNode)
                found = {n.name: n for n in blocks if isinstance(n, BlockNode)}
            break
    _root_blocks[parent] = found
    return found


class KeptBlocksExtendsNode(ExtendsNode):
    """ExtendsNode.render, the root's blocks read from root_blocks."""

    def render(self, context: Context) -> SafeString:
        compiled_parent = self.get_parent(context)
        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]
        block_context.add_blocks(self.blocks)
        if (blocks := root_blocks(compiled_parent)) is not None:
            block_context.add_blocks(blocks)
        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return compiled_parent._render(context)  # type: ignore[attr-defined]


@register.tag("extends")
def extends(parser: Parser, token: Token) -> KeptBlocksExtendsNode:
    """Django's `{% extends %}` (its parsing and checks), rendered by the node above."""
    node = do_extends(parser, token)
    return KeptBlocksExtendsNode(node.nodelist, node.parent_name, node.template_dirs)
