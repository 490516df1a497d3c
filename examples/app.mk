# Builds one app for one target straight from target.conf, without the uk tool: the runtime's
# own tests use this, so the runtime is tested on its own. Apps normally build with `uk build`.
#   make -f app.mk APP_DIR=examples/hello TARGET=virt OUT=build/examples/hello/virt
UK_HOME ?= $(BUILD)/lib/uk
UK_CACHE ?= /var/cache/uk
include $(UK_HOME)/$(TARGET)/target.conf

SRCS := $(wildcard $(APP_DIR)/*.c)
OBJS := $(patsubst $(APP_DIR)/%.c,$(OUT)/%.o,$(SRCS))

all: $(OUT)/kernel8.img

$(OUT)/%.o: $(APP_DIR)/%.c $(UK_HOME)/$(TARGET)/target.conf
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -Wall -Wextra -MMD -MP -c $< -o $@

$(OUT)/app.elf: $(OBJS) $(UK_HOME)/$(TARGET)/libuk.a $(UK_HOME)/$(TARGET)/uk.ld
	$(CC) $(LDFLAGS) $(OBJS) $(LIBS) -o $@

$(OUT)/kernel8.img: $(OUT)/app.elf
	$(OBJCOPY) -O binary $< $@

-include $(OBJS:.o=.d)
