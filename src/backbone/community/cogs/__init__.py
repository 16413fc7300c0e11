"""The bot's cogs, one per concern, added in :meth:`CommunityBot.setup_hook
<backbone.community.bot.CommunityBot.setup_hook>`.

- :mod:`.welcome`: a join welcomed and recorded;
- :mod:`.leads`: lead phrases in the lead channels recorded;
- :mod:`.summary`: ``!summarize-day`` / ``/summarize-day`` for admins;
- :mod:`.reconcile`: the CRM reconciled on start-up and every few minutes.
"""

from backbone.community.cogs.leads import LeadsCog
from backbone.community.cogs.reconcile import ReconcileCog
from backbone.community.cogs.summary import SummaryCog
from backbone.community.cogs.welcome import WelcomeCog

__all__ = ["COGS", "LeadsCog", "ReconcileCog", "SummaryCog", "WelcomeCog"]

COGS = (WelcomeCog, LeadsCog, SummaryCog, ReconcileCog)
"""In the order they are added."""
