"""The round report (HTML + PNG): SHAP of the classification head, importance change,
latent maps, ROC and calibration, the suggestion table. Entry point:
:func:`alloyloop.agent.report.round_report.write_round_report`."""
