#!/usr/bin/env python3
"""One evaluation of cachet-url-monitor's agent, as its scheduler runs it every interval:
read the component, request the URL, judge the expectations, push the status when it changed.

Usage: url_monitor_once.py CONFIG.yml   (for benches/run.sh; pip install cachet-url-monitor)
"""
import logging
import sys

from cachet_url_monitor.client import CachetClient
from cachet_url_monitor.configuration import Configuration
from cachet_url_monitor.scheduler import build_agent
from yaml import SafeLoader, load

config = load(open(sys.argv[1]), SafeLoader)
client = CachetClient(config["cachet"]["api_url"], config["cachet"]["token"])
agent = build_agent(Configuration(config, 0, client), logging.getLogger("bench"))
agent.execute()
