"""What the cogs share: channels and roles named by name or id, and who is an admin."""

from __future__ import annotations

import discord

from backbone.community.config import CommunitySettings

__all__ = ["find_role", "find_text_channel", "is_admin"]


def find_text_channel(guild: discord.Guild, ref: str) -> discord.TextChannel | None:
    """The text channel ``ref`` names: its id if all digits, else its name."""
    if ref.isdigit():
        channel = guild.get_channel(int(ref))
        return channel if isinstance(channel, discord.TextChannel) else None
    return discord.utils.get(guild.text_channels, name=ref)


def find_role(guild: discord.Guild, ref: str) -> discord.Role | None:
    """The role ``ref`` names: its id if all digits, else its name."""
    if ref.isdigit():
        return guild.get_role(int(ref))
    return discord.utils.get(guild.roles, name=ref)


def is_admin(member: discord.Member | discord.User, settings: CommunitySettings) -> bool:
    """A member with the configured admin role, or with Manage Server when none is set."""
    if not isinstance(member, discord.Member):
        return False
    if settings.admin_role is None:
        return member.guild_permissions.manage_guild
    role = settings.admin_role
    return any(str(r.id) == role if role.isdigit() else r.name == role for r in member.roles)
