# CESIM_SANITIZE=address,undefined or thread. No recovery, so any report fails a test.
if(CESIM_SANITIZE)
  add_compile_options(-fsanitize=${CESIM_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${CESIM_SANITIZE})
endif()
