"""What people see and download: skeletons drawn, match overlays, keypoints as tables, JSON and
CSV.
"""
