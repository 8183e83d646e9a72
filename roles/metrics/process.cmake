# Process collector metrics (/proc based), kept in their own fragment so the
# main list of yz_metrics sources stays untouched by this feature.
target_sources(yz_metrics PRIVATE ${CMAKE_CURRENT_LIST_DIR}/process_metrics.cc)
