"""Reports: overdue lists, the daily report and brief, statistics and 抽查 samples."""
